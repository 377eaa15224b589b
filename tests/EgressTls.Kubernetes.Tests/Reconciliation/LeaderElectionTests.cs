using System.Diagnostics;
using EgressTls.Core;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Testing;
using k8s;
using Xunit.Abstractions;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>Two replicas, one Lease: one reconciler writes at a time, and the other takes over.</summary>
public sealed class LeaderElectionTests(ITestOutputHelper output)
{
    private static readonly LeaderElectionOptions Election = new()
    {
        LeaseName = "egress-tls-leader",
        Namespace = "egress-tls",
        LeaseDuration = TimeSpan.FromSeconds(2),
        RenewDeadline = TimeSpan.FromSeconds(1.5),
        RetryPeriod = TimeSpan.FromMilliseconds(200),
    };

    // A replica: its own client, applier and informers; its own field manager marks its writes in the request log.
    private static ReconcilerService Replica(StandInApiServer server, string id, bool release = true)
    {
        var client = KubernetesClientFactory.ForHost(server.Url);
        var material = new FakeCertificateMaterial();
        var pipeline = new ApiCallPipeline();
        var namespaces = Informers.Namespaces(client);
        var applier = new DesiredStateApplier(client, new ApplierOptions { FieldManager = $"egress-tls-{id}" }, material, pipeline);
        var reconciler = new Reconciler(client, namespaces, applier, material, pipeline,
            new ReconcilerOptions { Render = Workloads.Options, LeafRenewal = null, Debounce = TimeSpan.FromMilliseconds(20) }, new ReconcilerMetrics());
        return new ReconcilerService(reconciler, client, Election with { Identity = id, ReleaseOnStop = release });
    }

    [Fact]
    public async Task Only_the_leader_writes_and_the_other_replica_takes_over_when_it_stops()
    {
        await using var server = await StandInApiServer.StartAsync();
        server.Seed(Workloads.Namespace("team-a"));
        var pod = server.Seed(Workloads.MutatedPod("team-a", "web-1", "github.com"));
        var cnp = $"egress-tls-{pod["metadata"]!["labels"]![Naming.ProfileLabel]}";
        using var a = Replica(server, "a");
        using var b = Replica(server, "b");
        var bothLeading = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                if (a.IsLeader && b.IsLeader)
                {
                    Interlocked.Increment(ref bothLeading);
                }

                await Task.Delay(5, CancellationToken.None);
            }
        });

        await a.StartAsync(CancellationToken.None);
        await ReconcilerHarness.WaitUntilAsync(() => a.IsLeader && server.Find("ciliumnetworkpolicies", "team-a", cnp) is not null);
        await b.StartAsync(CancellationToken.None);

        // Drift while a leads: a repairs it, b stays silent.
        var client = KubernetesClientFactory.ForHost(server.Url);
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync("cilium.io", "v2", "team-a", "ciliumnetworkpolicies", cnp);
        await ReconcilerHarness.WaitUntilAsync(() => server.Find("ciliumnetworkpolicies", "team-a", cnp) is not null);
        b.IsLeader.Should().BeFalse();

        var stopped = Stopwatch.StartNew();
        await a.StopAsync(CancellationToken.None);
        await ReconcilerHarness.WaitUntilAsync(() => b.IsLeader);
        var failover = stopped.Elapsed;
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync("cilium.io", "v2", "team-a", "ciliumnetworkpolicies", cnp);
        await ReconcilerHarness.WaitUntilAsync(() => server.Find("ciliumnetworkpolicies", "team-a", cnp) is not null);
        await sampling.CancelAsync();
        await sampler;
        await b.StopAsync(CancellationToken.None);

        var writers = server.RequestLog.Where(e => e.Verb == "apply").Select(e => e.FieldManager).ToList();
        writers.Should().Contain("egress-tls-a").And.Contain("egress-tls-b");
        writers.SkipWhile(m => m == "egress-tls-a").Should().OnlyContain(m => m == "egress-tls-b", "a replica writes only while it leads, and a stopped leader never again");
        bothLeading.Should().Be(0);
        output.WriteLine($"failover after the leader stopped (lease released): {failover.TotalMilliseconds:F0} ms");
        failover.Should().BeLessThan(Election.LeaseDuration + Election.RetryPeriod + TimeSpan.FromSeconds(3), "failover is bounded by the lease duration");
    }

    [Fact]
    public async Task A_crashed_leader_is_replaced_once_its_lease_expires()
    {
        await using var server = await StandInApiServer.StartAsync();
        server.Seed(Workloads.Namespace("team-a"));
        var pod = server.Seed(Workloads.MutatedPod("team-a", "web-1", "github.com"));
        var cnp = $"egress-tls-{pod["metadata"]!["labels"]![Naming.ProfileLabel]}";
        using var a = Replica(server, "a", release: false);
        using var b = Replica(server, "b");
        await a.StartAsync(CancellationToken.None);
        await ReconcilerHarness.WaitUntilAsync(() => a.IsLeader);
        await b.StartAsync(CancellationToken.None);

        var crashed = Stopwatch.StartNew();
        await a.StopAsync(CancellationToken.None); // no hand-over: the Lease still names a until it expires
        await ReconcilerHarness.WaitUntilAsync(() => b.IsLeader);
        var failover = crashed.Elapsed;
        await ReconcilerHarness.WaitUntilAsync(() => server.Find("ciliumnetworkpolicies", "team-a", cnp) is not null);
        await b.StopAsync(CancellationToken.None);

        output.WriteLine($"failover after a leader crash: {failover.TotalMilliseconds:F0} ms (lease {Election.LeaseDuration.TotalMilliseconds:F0} ms, retry {Election.RetryPeriod.TotalMilliseconds:F0} ms)");
        failover.Should().BeGreaterThan(Election.RetryPeriod, "b cannot take a lease a still holds");
        failover.Should().BeLessThan(Election.LeaseDuration + Election.RetryPeriod + TimeSpan.FromSeconds(3), "failover within the lease duration");
    }

    [Fact]
    public async Task A_leader_that_loses_its_lease_stops_its_reconcile_loop()
    {
        await using var server = await StandInApiServer.StartAsync();
        server.Seed(Workloads.Namespace("team-a"));
        server.Seed(Workloads.MutatedPod("team-a", "web-1", "github.com"));
        using var a = Replica(server, "a");
        await a.StartAsync(CancellationToken.None);
        await ReconcilerHarness.WaitUntilAsync(() => a.IsLeader);

        // The lease is taken from under a (as if a partition kept a from renewing while b won the lease).
        var client = KubernetesClientFactory.ForHost(server.Url);
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(Election.LeaseName, Election.Namespace);
        lease.Spec.HolderIdentity = "someone-else";
        lease.Spec.RenewTime = DateTime.UtcNow.AddSeconds(60);
        lease.Spec.LeaseDurationSeconds = 60;
        await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, Election.LeaseName, Election.Namespace);

        await ReconcilerHarness.WaitUntilAsync(() => a.Reconciler.IsRunning);
        await ReconcilerHarness.WaitUntilAsync(() => !a.IsLeader);

        // Every write happens inside the loop's passes, under its token: no loop, no writes.
        await ReconcilerHarness.WaitUntilAsync(() => !a.Reconciler.IsRunning);
        await a.StopAsync(CancellationToken.None);
    }
}
