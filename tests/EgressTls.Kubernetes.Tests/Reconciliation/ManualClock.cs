namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>A clock whose "now" the test sets; timers and elapsed time stay real (loops keep running).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref ticks, now.UtcTicks);
}
