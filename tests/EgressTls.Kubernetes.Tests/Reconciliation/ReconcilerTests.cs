using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Testing;
using k8s;
using k8s.Models;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>The reconciler against the stand-in API server over the real client.</summary>
public sealed class ReconcilerTests
{
    private static readonly TimeSpan PastGrace = TimeSpan.FromMinutes(3);

    private static bool Has(IReadOnlyList<JsonObject> objects, string name) => objects.Any(o => (string?)o["metadata"]?["name"] == name);

    [Fact]
    public async Task A_deleted_policy_comes_back_and_an_edited_one_is_restored()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("team-a");
        var pod = h.SeedPod("team-a", "web-1", "github.com");
        var name = $"egress-tls-{h.ProfileOf(pod)}";
        await h.PassUntilAsync(_ => h.Cnp("team-a", name) is not null);
        var original = h.Cnp("team-a", name)!["spec"]!.DeepClone();

        await h.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("cilium.io", "v2", "team-a", "ciliumnetworkpolicies", name);
        await h.PassUntilAsync(r => r.Applied.Any(k => k.EndsWith(name, StringComparison.Ordinal)));
        JsonNode.DeepEquals(h.Cnp("team-a", name)!["spec"], original).Should().BeTrue();

        var edit = new JsonObject { ["spec"] = new JsonObject { ["egress"] = new JsonArray(new JsonObject { ["toEntities"] = new JsonArray("world") }) } };
        await h.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(edit.ToJsonString(), V1Patch.PatchType.MergePatch), "cilium.io", "v2", "team-a", "ciliumnetworkpolicies", name, fieldManager: "kubectl-edit");
        var repaired = await h.PassUntilAsync(r => r.Applied.Any(k => k.EndsWith(name, StringComparison.Ordinal)));
        repaired.Applied.Should().ContainSingle("only the edited object is written");
        JsonNode.DeepEquals(h.Cnp("team-a", name)!["spec"], original).Should().BeTrue();

        await h.ConvergeAsync(); // a repaired cluster needs no more writes
    }

    [Fact]
    public async Task When_the_last_pod_of_a_profile_goes_its_objects_are_deleted_after_the_grace_period_policy_first()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("team-a");
        var pod = h.SeedPod("team-a", "web-1", "github.com");
        var name = $"egress-tls-{h.ProfileOf(pod)}";
        var converged = await h.ConvergeAsync();
        var leaf = h.Server.All("secrets", "egress-tls").Select(s => (string)s["metadata"]!["name"]!).Single(n => n.StartsWith("egress-tls-leaf-", StringComparison.Ordinal));

        await h.DeletePodAsync("team-a", "web-1");
        var young = await h.PassUntilAsync(r => r.Desired < converged.Desired);
        young.Deleted.Should().BeEmpty("an admission may have just created them for a pod not visible yet");
        h.Cnp("team-a", name).Should().NotBeNull();

        h.Server.ClearLog();
        h.Clock.Advance(PastGrace);
        var collected = await h.PassUntilAsync(r => r.Deleted.Length > 0);

        h.Cnp("team-a", name).Should().BeNull();
        h.Server.Find("secrets", "egress-tls", leaf).Should().BeNull();
        h.Server.Find("secrets", "egress-tls", "egress-tls-public-roots").Should().BeNull();
        h.Server.Find("configmaps", "team-a", "egress-tls-trust-bundle").Should().NotBeNull("the namespace is still opted in; pods that only mount the bundle carry no label");
        var deletes = h.Server.RequestLog.Where(e => e.Verb == "delete").Select(e => e.Resource).ToList();
        deletes.Should().Equal("ciliumnetworkpolicies", "secrets", "secrets");
        collected.Deleted.Should().HaveCount(3);
    }

    [Fact]
    public async Task A_shared_leaf_stays_while_another_namespace_uses_it()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("team-a");
        h.SeedNamespace("team-b");
        var a = h.SeedPod("team-a", "web-1", "github.com");
        var b = h.SeedPod("team-b", "web-1", "github.com");
        await h.PassUntilAsync(_ => h.Cnp("team-a", $"egress-tls-{h.ProfileOf(a)}") is not null && h.Cnp("team-b", $"egress-tls-{h.ProfileOf(b)}") is not null);
        var leaf = h.Server.All("secrets", "egress-tls").Select(s => (string)s["metadata"]!["name"]!).Single(n => n.StartsWith("egress-tls-leaf-", StringComparison.Ordinal));

        var both = h.Reconciler.LastPass!.Desired;
        await h.DeletePodAsync("team-a", "web-1");
        await h.PassUntilAsync(r => r.Desired < both);
        h.Clock.Advance(PastGrace);
        var first = await h.PassUntilAsync(r => r.Deleted.Length > 0);
        h.Cnp("team-a", $"egress-tls-{h.ProfileOf(a)}").Should().BeNull();
        h.Server.Find("secrets", "egress-tls", leaf).Should().NotBeNull("team-b's policy names it");

        await h.DeletePodAsync("team-b", "web-1");
        var undesired = await h.PassUntilAsync(r => r.Desired < first.Desired);
        undesired.Deleted.Should().BeEmpty("the leaf was desired until this pass: another replica may still trust it exists");
        h.Clock.Advance(PastGrace);
        await h.PassUntilAsync(r => r.Deleted.Length > 0);
        h.Server.Find("secrets", "egress-tls", leaf).Should().BeNull();
    }

    [Fact]
    public async Task A_deleted_provider_takes_its_objects_with_it()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("flux-system");
        h.Server.Seed(Secret("flux-system", "alerts-client-cert", "v1"));
        h.Server.Seed(Workloads.MutatedProvider("flux-system", "alerts-webhook"));
        await h.ConvergeAsync();
        var generated = h.Cnps("flux-system").Concat(h.Server.All("ciliumenvoyconfigs", "flux-system")).Concat(h.Server.All("secrets", "cilium-secrets")).ToList();
        generated.Should().HaveCount(3, "a policy, an Envoy config and the client certificate copy");

        var converged = h.Reconciler.LastPass!.Desired;
        await h.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("notification.toolkit.fluxcd.io", "v1beta3", "flux-system", "providers", "alerts-webhook");
        var young = await h.PassUntilAsync(r => r.Desired < converged);
        young.Deleted.Should().BeEmpty("the grace period runs from the last pass that desired them");
        h.Clock.Advance(PastGrace);
        await h.PassUntilAsync(r => r.Deleted.Length > 0);

        h.Cnps("flux-system").Should().BeEmpty();
        h.Server.All("ciliumenvoyconfigs", "flux-system").Should().BeEmpty();
        h.Server.All("secrets", "cilium-secrets").Should().BeEmpty();
        h.Server.Find("secrets", "flux-system", "alerts-client-cert").Should().NotBeNull("the user's Secret is not egress-tls's");
    }

    // Flux before 2.2 serves Providers as v1beta2 only: the reconciler must see them there, or it would
    // collect the objects of every Provider the webhook admitted.
    [Fact]
    public async Task Providers_served_only_as_v1beta2_keep_their_objects()
    {
        ApiResource[] resources = [.. ApiResource.Defaults.Select(r => r.Kind == "Provider" ? r with { Versions = ["v1beta2"] } : r)];
        await using var h = await ReconcilerHarness.StartAsync(resources: resources);
        h.SeedNamespace("flux-system");
        h.Server.Seed(Secret("flux-system", "alerts-client-cert", "v1"));
        var provider = Workloads.MutatedProvider("flux-system", "alerts-webhook");
        provider["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta2";
        h.Server.Seed(provider);
        await h.ConvergeAsync();
        List<System.Text.Json.Nodes.JsonObject> Generated() =>
            [.. h.Cnps("flux-system").Concat(h.Server.All("ciliumenvoyconfigs", "flux-system")).Concat(h.Server.All("secrets", "cilium-secrets"))];
        Generated().Should().HaveCount(3, "a policy, an Envoy config and the client certificate copy");

        h.Clock.Advance(PastGrace);
        await h.Reconciler.PassAsync(resync: true, CancellationToken.None);
        await h.Reconciler.PassAsync(resync: false, CancellationToken.None);

        Generated().Should().HaveCount(3, "the Provider still exists, served as v1beta2");
    }

    [Fact]
    public async Task Without_the_provider_crd_the_reconciler_still_reconciles_pods()
    {
        await using var server = await StandInApiServer.StartAsync([.. ApiResource.Defaults.Where(r => r.Kind != "Provider")]);
        var client = KubernetesClientFactory.ForHost(server.Url);
        var material = new FakeCertificateMaterial();
        var pipeline = new ApiCallPipeline();
        await using var namespaces = Informers.Namespaces(client);
        var reconciler = new Reconciler(client, namespaces, new DesiredStateApplier(client, new ApplierOptions(), material, pipeline), material, pipeline,
            new ReconcilerOptions { Render = Workloads.Options, LeafRenewal = null }, new ReconcilerMetrics());
        server.Seed(Workloads.Namespace("team-a"));
        var pod = server.Seed(Workloads.MutatedPod("team-a", "web-1", "github.com"));
        await reconciler.StartAsync(CancellationToken.None);

        await reconciler.PassAsync(resync: true, CancellationToken.None);

        server.Find("ciliumnetworkpolicies", "team-a", $"egress-tls-{pod["metadata"]!["labels"]![Naming.ProfileLabel]}").Should().NotBeNull();
        await reconciler.StopAsync();
    }

    [Fact]
    public async Task A_failure_becomes_an_event_on_the_pod_and_is_retried_after_its_backoff()
    {
        await using var h = await ReconcilerHarness.StartAsync(retry: new ApiRetryOptions { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20) });
        h.SeedNamespace("team-a");
        var pod = h.SeedPod("team-a", "web-1", "github.com");
        var name = $"egress-tls-{h.ProfileOf(pod)}";
        await h.PassUntilAsync(r => r.Desired > 0 && r.Applied.Length > 0);
        h.Server.AddFault(Fault.ServerError("apply", "ciliumnetworkpolicies", times: 2));
        await h.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("cilium.io", "v2", "team-a", "ciliumnetworkpolicies", name);

        var failed = await h.PassUntilAsync(r => r.Failed.Length > 0);
        failed.Failed.Should().ContainSingle().Which.Should().EndWith(name);
        var ev = h.Server.All("events", "team-a").Should().ContainSingle().Subject;
        ((string?)ev["reason"]).Should().Be("ReconcileFailed");
        ((string?)ev["involvedObject"]!["kind"]).Should().Be("Pod");
        ((string?)ev["involvedObject"]!["name"]).Should().Be("web-1");
        ((string?)ev["message"]).Should().Contain("500");

        var waiting = await h.Reconciler.PassAsync(false, CancellationToken.None);
        waiting.Applied.Should().BeEmpty("the object backs off");
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await h.PassUntilAsync(r => r.Applied.Any(k => k.EndsWith(name, StringComparison.Ordinal)));
        h.Cnp("team-a", name).Should().NotBeNull();
    }

    [Fact]
    public async Task The_cluster_converges_through_throttling_server_errors_and_dropped_connections()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("team-a");
        h.SeedNamespace("team-b");
        h.SeedPod("team-a", "web-1", "github.com");
        h.SeedPod("team-b", "web-1", "api.stripe.com");
        h.Server.AddFault(Fault.TooManyRequests("apply", times: 3, retryAfterSeconds: 0));
        h.Server.AddFault(Fault.ServerError("apply", times: 3));
        h.Server.AddFault(Fault.DropConnection("apply", times: 3));
        h.Server.AddFault(Fault.DropResponse("apply", times: 2));
        h.Server.AddFault(Fault.DropConnection("watch", times: 2));

        await h.PassUntilAsync(r =>
        {
            h.Clock.Advance(TimeSpan.FromMinutes(1)); // lets any backing-off object be retried
            return r.Failed.IsEmpty && r.Applied.IsEmpty && r.Desired > 0;
        }, timeoutSeconds: 60);

        h.Server.RequestLog.Should().Contain(e => e.StatusCode == 429).And.Contain(e => e.StatusCode == 500).And.Contain(e => e.StatusCode == 0);
        h.Cnps().Should().HaveCount(2);
        h.Server.All("configmaps").Should().HaveCount(2);
        h.Server.All("secrets", "egress-tls").Should().HaveCount(3, "two leaves and the public roots");
    }

    [Fact]
    public async Task A_copied_secret_follows_its_source_on_resync()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        h.SeedNamespace("team-a");
        h.Server.Seed(Secret("team-a", "client-cert", "v1"));
        h.Server.Seed(Workloads.MutatedPod("team-a", "web-1", "backend.example.com:8443 cert=client-cert verify=false", annotation: "mtls"));
        await h.PassUntilAsync(_ => h.Server.All("secrets", "cilium-secrets").Count == 1);
        await h.ConvergeAsync();
        var copy = (string)h.Server.All("secrets", "cilium-secrets")[0]["metadata"]!["name"]!;

        await h.Client.CoreV1.ReplaceNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "client-cert", NamespaceProperty = "team-a" },
            Type = "kubernetes.io/tls",
            Data = new Dictionary<string, byte[]> { ["tls.crt"] = Encoding.UTF8.GetBytes("crt-v2"), ["tls.key"] = Encoding.UTF8.GetBytes("key-v2") },
        }, "client-cert", "team-a");
        var quick = await h.Reconciler.PassAsync(resync: false, CancellationToken.None);
        quick.Applied.Should().BeEmpty("sources are read on resync passes");
        await h.PassUntilAsync(r => r.Applied.Length > 0, resync: true);

        Encoding.UTF8.GetString(Convert.FromBase64String((string)h.Server.Find("secrets", "cilium-secrets", copy)!["data"]!["tls.crt"]!)).Should().Be("crt-v2");
    }

    [Fact]
    public async Task The_trust_bundle_and_the_leaves_are_refreshed_when_the_ca_changes()
    {
        var material = new FakeCertificateMaterial();
        await using var h = await ReconcilerHarness.StartAsync(material);
        h.SeedNamespace("team-a");
        h.SeedPod("team-a", "web-1", "github.com");
        await h.ConvergeAsync();
        var issued = material.LeavesIssued;

        material.Fingerprint = "ca-2";
        var refreshed = await h.PassUntilAsync(r => r.Applied.Length > 0);

        ((string?)h.Server.Find("configmaps", "team-a", "egress-tls-trust-bundle")!["data"]!["ca.crt"]).Should().Be("CA-PEM ca-2");
        material.LeavesIssued.Should().Be(issued + 1);
        refreshed.Applied.Should().NotContain(k => k.Contains("CiliumNetworkPolicy", StringComparison.Ordinal), "the policy does not depend on the CA");
    }

    internal static JsonObject Secret(string ns, string name, string version) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["type"] = "kubernetes.io/tls",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["data"] = new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"crt-{version}")),
            ["tls.key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"key-{version}")),
        },
    };
}
