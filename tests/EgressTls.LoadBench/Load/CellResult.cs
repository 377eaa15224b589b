namespace EgressTls.LoadBench.Load;

/// <summary>One measured cell: a target, a body, a mode (saturation or fixed rate). <see cref="Failed"/>
/// counts wrong answers and connection errors; <see cref="TimedOut"/> requests not answered within the
/// API server's 10 s (their wait is in <see cref="Latency"/>).</summary>
public sealed record CellResult(
    string Target,
    string Body,
    string Mode,
    long Ok,
    long Failed,
    long TimedOut,
    TimeSpan Elapsed,
    LatencyRecorder Latency,
    LatencyRecorder? DispatchLag,
    TimeSpan ServerCpu,
    bool Overloaded,
    IReadOnlyList<string> Problems,
    string Load)
{
    /// <summary>The target's memo counters over the cell (serve only; <c>null</c> when not read).</summary>
    public Targets.MemoShare? Memo { get; init; }

    /// <summary>Correct answers per second.</summary>
    public double Throughput => Elapsed.TotalSeconds > 0 ? Ok / Elapsed.TotalSeconds : 0;

    /// <summary>Server CPU time per answered request, in microseconds (NaN when unknown).</summary>
    public double ServerCpuPerRequest => Ok > 0 && ServerCpu > TimeSpan.Zero ? ServerCpu.TotalMicroseconds / (Ok + Failed + TimedOut) : double.NaN;
}
