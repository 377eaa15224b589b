using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Testing;
using k8s;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

public sealed class ReconcilerStartTests
{
    [Fact]
    public async Task A_term_that_ends_during_the_first_sync_stops_its_informers_and_the_next_term_syncs_again()
    {
        await using var server = await StandInApiServer.StartAsync();
        var forbidden = new ForbiddingHandler("ciliumnetworkpolicies");
        var (reconciler, namespaces) = Create(server, forbidden);
        await using var _ = namespaces;

        using (var term = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            await reconciler.RunAsync(term.Token);
        }

        reconciler.IsRunning.Should().BeFalse("the informers of an ended term are stopped");
        await ReconcilerHarness.WaitUntilAsync(() => server.OpenWatches <= 1, timeoutSeconds: 10); // the shell's namespace watch stays

        // The next term waits for its own first lists again instead of running on caches that never synced.
        using var second = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var start = async () => await reconciler.StartAsync(second.Token);
        await start.Should().ThrowAsync<OperationCanceledException>();
        reconciler.IsRunning.Should().BeFalse();
    }

    [Fact]
    public async Task Without_clusterwide_envoy_configs_the_reconciler_starts_with_no_access_to_them()
    {
        await using var server = await StandInApiServer.StartAsync();
        var forbidden = new ForbiddingHandler("ciliumclusterwideenvoyconfigs");
        var (reconciler, namespaces) = Create(server, forbidden);
        await using var _ = namespaces;

        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await reconciler.StartAsync(budget.Token);
        await reconciler.StopAsync();

        forbidden.Refused.Should().Be(0, "the chart grants clusterwide Envoy configs only with cilium.clusterwideEnvoyConfig=true");
    }

    [Fact]
    public async Task A_resource_the_rbac_refuses_is_counted_while_the_reconciler_waits_for_it()
    {
        await using var server = await StandInApiServer.StartAsync();
        var forbidden = new ForbiddingHandler("ciliumclusterwideenvoyconfigs");
        var clusterwide = Workloads.Options with { Cilium = Workloads.Options.Cilium with { ClusterwideEnvoyConfig = true } };
        var (reconciler, namespaces) = Create(server, forbidden, new ReconcilerOptions { LeafRenewal = null, Render = clusterwide });
        await using var _ = namespaces;

        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var start = async () => await reconciler.StartAsync(budget.Token);
        await start.Should().ThrowAsync<OperationCanceledException>();

        forbidden.Refused.Should().BePositive();
        reconciler.Metrics.InformerErrorsTotal.Should().BePositive("a refused list must be visible, not a silent wait");
    }

    internal static (Reconciler Reconciler, ResourceInformer<k8s.Models.V1Namespace> Namespaces) Create(
        StandInApiServer server, DelegatingHandler handler, ReconcilerOptions? options = null)
    {
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() }, handler);
        var pipeline = new ApiCallPipeline(new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) });
        var material = new FakeCertificateMaterial();
        var applier = new DesiredStateApplier(client, new ApplierOptions(), material, pipeline);
        var namespaces = Informers.Namespaces(client);
        var reconciler = new Reconciler(client, namespaces, applier, material, pipeline,
            (options ?? new ReconcilerOptions { LeafRenewal = null }) with { Render = options?.Render ?? Workloads.Options }, new ReconcilerMetrics());
        return (reconciler, namespaces);
    }
}
