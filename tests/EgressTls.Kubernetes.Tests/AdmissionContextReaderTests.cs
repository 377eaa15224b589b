using System.Text.Json.Nodes;
using EgressTls.Kubernetes;
using EgressTls.Testing;
using k8s;
using k8s.Models;

namespace EgressTls.Kubernetes.Tests;

public sealed class AdmissionContextReaderTests : IAsyncLifetime
{
    private StandInApiServer server = null!;
    private IKubernetes client = null!;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        client = KubernetesClientFactory.ForHost(server.Url);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static ApiCallPipeline Pipeline() => new(new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) });

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static JsonObject Namespace(string name, string? label = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = label is null ? new JsonObject() : new JsonObject { ["egress-tls.io/enabled"] = label },
            ["annotations"] = new JsonObject { ["egress-tls.io/intercept"] = "github.com" },
        },
    };

    private static async Task Eventually(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }

    [Fact]
    public async Task Namespace_comes_from_the_informer_cache_without_api_calls()
    {
        server.Seed(Namespace("team-a", "true"));
        await using var informer = Informers.Namespaces(client);
        informer.Start();
        await informer.WaitForSyncAsync(Budget());
        server.ClearLog();

        var ns = await new KubernetesAdmissionContextReader(client, informer, Pipeline()).GetNamespaceAsync("team-a", Budget());

        ns.Labels.Should().ContainKey("egress-tls.io/enabled").WhoseValue.Should().Be("true");
        ns.Annotations.Should().ContainKey("egress-tls.io/intercept");
        server.RequestLog.Should().NotContain(e => e.Verb == "get");
    }

    [Fact]
    public async Task A_namespace_unknown_to_the_cache_is_read_with_one_get()
    {
        await using var informer = Informers.Namespaces(client);
        informer.Start();
        await informer.WaitForSyncAsync(Budget());
        await Eventually(() => server.OpenWatches == 1);
        server.AddFault(Fault.Latency(TimeSpan.FromSeconds(1), "watch")); // the cache cannot learn of it in time
        server.CloseWatches();
        server.Seed(Namespace("fresh", "true"));

        var ns = await new KubernetesAdmissionContextReader(client, informer, Pipeline()).GetNamespaceAsync("fresh", Budget());

        ns.Labels["egress-tls.io/enabled"].Should().Be("true");
        server.RequestLog.Should().Contain(e => e.Verb == "get" && e.Name == "fresh");
    }

    [Fact]
    public async Task Informer_follows_adds_updates_and_deletes_by_watch()
    {
        await using var informer = Informers.Namespaces(client);
        var seen = new List<string>();
        informer.Changed += (t, n) => { lock (seen) { seen.Add($"{t}:{n.Metadata.Name}"); } };
        informer.Start();
        await informer.WaitForSyncAsync(Budget());
        await Eventually(() => server.OpenWatches == 1);

        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "a" } });
        await client.CoreV1.PatchNamespaceAsync(new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.MergePatch), "a");
        await Eventually(() => informer.TryGet(null, "a", out var a) && a.Metadata.Labels?.ContainsKey("x") == true);
        await client.CoreV1.DeleteNamespaceAsync("a");
        await Eventually(() => !informer.TryGet(null, "a", out _));

        lock (seen)
        {
            seen.Should().Equal("Added:a", "Modified:a", "Deleted:a");
        }

        informer.ListCount.Should().Be(1);
    }

    [Fact]
    public async Task Informer_rewatches_after_the_watch_ends_and_relists_after_410()
    {
        await using var informer = Informers.Namespaces(client, new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(10) });
        informer.Start();
        await informer.WaitForSyncAsync(Budget());
        await Eventually(() => server.OpenWatches == 1);

        server.AddFault(Fault.Latency(TimeSpan.FromMilliseconds(300), "watch"));
        server.CloseWatches();
        server.Seed(Namespace("after-compaction"));
        server.Compact(); // the informer's next watch starts from a version older than the compaction

        await Eventually(() => informer.TryGet(null, "after-compaction", out _));
        informer.ListCount.Should().BeGreaterThanOrEqualTo(2);
        server.RequestLog.Should().Contain(e => e.Verb == "list" && e.Resource == "namespaces");
    }

    [Fact]
    public async Task Secret_summaries_have_type_and_key_names_only_and_read_exactly_the_named_secrets()
    {
        server.Seed(ApplierTests.Secret("team-a", "client-cert", ("tls.crt", "C"), ("tls.key", "K")));
        server.Seed(ApplierTests.Secret("team-a", "unrelated", ("x", "y")));

        var secrets = await new KubernetesAdmissionContextReader(client, null, Pipeline())
            .GetSecretsAsync("team-a", ["client-cert", "missing"], Budget());

        secrets.Keys.Should().Equal("client-cert");
        secrets["client-cert"].Type.Should().Be("kubernetes.io/tls");
        secrets["client-cert"].Keys.Should().Equal("tls.crt", "tls.key");
        server.RequestLog.Select(e => (e.Verb, e.Name)).Should().BeEquivalentTo([("get", "client-cert"), ("get", "missing")]);
    }

    [Fact]
    public async Task Secret_reads_are_retried_on_transient_failures()
    {
        server.Seed(ApplierTests.Secret("team-a", "client-cert", ("tls.crt", "C")));
        server.AddFault(Fault.ServerError("get", "secrets"));
        server.AddFault(Fault.DropConnection("get", "secrets"));

        var secrets = await new KubernetesAdmissionContextReader(client, null, Pipeline()).GetSecretsAsync("team-a", ["client-cert"], Budget());

        secrets.Should().ContainKey("client-cert");
        server.PendingFaults.Should().Be(0);
    }

    [Fact]
    public async Task A_secret_read_that_keeps_failing_is_a_clear_apply_exception_within_the_budget()
    {
        server.AddFault(Fault.ServerError("get", "secrets", times: 1000));
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        var act = () => new KubernetesAdmissionContextReader(client, null, Pipeline()).GetSecretsAsync("team-a", ["client-cert"], budget.Token);

        (await act.Should().ThrowAsync<ApplyException>()).Which.Message.Should().StartWith("could not read Secret team-a/client-cert: ").And.NotContain("Exception");
    }
}
