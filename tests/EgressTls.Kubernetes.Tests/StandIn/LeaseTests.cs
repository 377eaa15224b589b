using EgressTls.Kubernetes;
using EgressTls.Testing;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace EgressTls.Kubernetes.Tests.StandIn;

/// <summary>The stand-in serves coordination.k8s.io Leases well enough for the client's own leader election
/// (what the reconciler round builds on).</summary>
public sealed class LeaseTests
{
    [Fact]
    public async Task Two_electors_on_one_lease_never_lead_together_and_the_second_takes_over_when_the_first_stops()
    {
        await using var server = await StandInApiServer.StartAsync();
        var leaders = new List<string>();
        var concurrent = 0;
        var maxConcurrent = 0;

        LeaderElector Elector(string id)
        {
            var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(KubernetesClientFactory.ForHost(server.Url), "egress-tls", "egress-tls-leader", id))
            {
                LeaseDuration = TimeSpan.FromSeconds(2),
                RenewDeadline = TimeSpan.FromSeconds(1.5),
                RetryPeriod = TimeSpan.FromMilliseconds(200),
            });
            elector.OnStartedLeading += () =>
            {
                lock (leaders)
                {
                    leaders.Add(id);
                    maxConcurrent = Math.Max(maxConcurrent, ++concurrent);
                }
            };
            elector.OnStoppedLeading += () =>
            {
                lock (leaders)
                {
                    concurrent--;
                }
            };
            return elector;
        }

        using var a = Elector("a");
        using var b = Elector("b");
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var runA = a.RunUntilLeadershipLostAsync(stopA.Token);
        await WaitUntil(() => { lock (leaders) { return leaders.Count == 1; } });
        var runB = b.RunUntilLeadershipLostAsync(stopB.Token);
        await Task.Delay(500);
        await stopA.CancelAsync();
        await WaitUntil(() => { lock (leaders) { return leaders.Count == 2; } });

        lock (leaders)
        {
            leaders.Should().Equal("a", "b");
            maxConcurrent.Should().Be(1);
        }

        await stopB.CancelAsync();
        await Task.WhenAll(runA, runB).ContinueWith(_ => { }, TaskScheduler.Default);
        server.All("leases", "egress-tls").Should().ContainSingle();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!condition())
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
