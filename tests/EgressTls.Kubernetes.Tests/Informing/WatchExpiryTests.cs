using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes.Tests.Reconciliation;
using EgressTls.Testing;
using k8s;

namespace EgressTls.Kubernetes.Tests.Informing;

public sealed class WatchExpiryTests
{
    [Fact]
    public async Task An_expired_watch_relists_and_a_server_that_keeps_ending_watches_is_backed_off()
    {
        var handler = new AlwaysExpiredHandler();
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1/" }, handler);
        await using var informer = Informers.Namespaces(client, new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(10) });
        informer.Start();
        await informer.WaitForSyncAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        await Task.Delay(2000);

        // Every watch is answered "too old": each one must lead to a relist, and the attempts must slow down.
        handler.Lists.Should().BeGreaterThan(1);
        handler.Watches.Should().BeLessThan(100, "a watch that ends without delivering anything is retried with a backoff");
    }

    [Fact]
    public async Task Garbage_collection_keeps_the_policy_of_a_pod_created_while_the_pod_watches_were_expired()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("team-a");
        h.SeedPod("team-a", "web-1", "github.com");
        await h.ConvergeAsync();

        // The pod watches end; before they resume, a pod is admitted and the API server compacts its history, so
        // they resume from a resourceVersion that is gone (kube-apiserver: an ERROR event holding a 410 Status).
        h.Server.AddFault(Fault.Latency(TimeSpan.FromMilliseconds(300), "watch", "pods", times: 2));
        h.Server.CloseWatches();
        var raw = Workloads.MutatedPod("team-a", "web-2", "example.com");
        var admitted = (Mutated)Renderer.Render(
            new RenderInput(Unmutated(raw), AdmissionOperation.Create, Workloads.Info("team-a"), ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false),
            Workloads.Options);
        await h.Applier.ApplyAsync(admitted.Objects, CancellationToken.None);
        h.Server.Seed(raw);
        h.Server.Compact();
        var cnp = admitted.Objects.Single(o => o.Kind == "CiliumNetworkPolicy").Name;
        await Task.Delay(1500);

        h.Clock.Advance(TimeSpan.FromMinutes(3));
        for (var i = 0; i < 3; i++)
        {
            await h.Reconciler.PassAsync(false, CancellationToken.None);
            await Task.Delay(100);
        }

        h.Server.Find("pods", "team-a", "web-2").Should().NotBeNull();
        h.Cnp("team-a", cnp).Should().NotBeNull("web-2 runs and needs its policy");
    }

    // The pod as it reaches admission: the same annotations, none of the changes the webhook makes.
    private static JsonObject Unmutated(JsonObject mutated) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject
        {
            ["name"] = mutated["metadata"]!["name"]!.DeepClone(),
            ["namespace"] = mutated["metadata"]!["namespace"]!.DeepClone(),
            ["annotations"] = new JsonObject { ["egress-tls.io/intercept"] = "example.com" },
        },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "busybox" }) },
    };

    // Answers every watch the way kube-apiserver answers one from a compacted resourceVersion (HTTP 200, one
    // ERROR event with a 410 Expired Status, end of stream), and every list with an empty list.
    private sealed class AlwaysExpiredHandler : DelegatingHandler
    {
        private int lists;
        private int watches;

        public int Lists => Volatile.Read(ref lists);

        public int Watches => Volatile.Read(ref watches);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body;
            if (request.RequestUri!.Query.Contains("watch=true", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref watches);
                body = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (100)","reason":"Expired","code":410}}""" + "\n";
            }
            else
            {
                Interlocked.Increment(ref lists);
                body = """{"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[]}""";
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
