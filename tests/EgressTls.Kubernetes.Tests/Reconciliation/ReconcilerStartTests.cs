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
