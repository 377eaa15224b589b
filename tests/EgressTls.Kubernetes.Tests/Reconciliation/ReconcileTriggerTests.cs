using EgressTls.Kubernetes.Reconciliation;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>The work queue coalesces and the per-key backoff grows.</summary>
public sealed class ReconcileTriggerTests
{
    [Fact]
    public async Task A_burst_of_signals_makes_one_pass()
    {
        var trigger = new ReconcileTrigger();
        for (var i = 0; i < 1000; i++)
        {
            trigger.Signal();
        }

        (await trigger.WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None)).Should().BeTrue();
        (await trigger.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None)).Should().BeFalse("the burst was consumed by one pass");
        trigger.Signal();
        (await trigger.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None)).Should().BeTrue();
    }

    [Fact]
    public void Backoff_doubles_per_failure_up_to_the_maximum_and_success_forgets()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var backoff = new KeyBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        Enumerable.Range(0, 5).Select(_ => backoff.Failed("k", now)).Should().Equal(
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        backoff.IsWaiting("k", now + TimeSpan.FromSeconds(4)).Should().BeTrue();
        backoff.IsWaiting("k", now + TimeSpan.FromSeconds(5)).Should().BeFalse();
        backoff.Succeeded("k");
        backoff.Failed("k", now).Should().Be(TimeSpan.FromSeconds(1));
    }
}
