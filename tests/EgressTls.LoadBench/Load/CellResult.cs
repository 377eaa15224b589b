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

    /// <summary>The target's time at the wire (<c>--wire</c>: from a packet capture of its port; <c>null</c> when not captured).</summary>
    public WireStats? Wire { get; init; }

    /// <summary>Correct answers per second.</summary>
    public double Throughput => Elapsed.TotalSeconds > 0 ? Ok / Elapsed.TotalSeconds : 0;

    /// <summary>Server CPU time per answered request, in microseconds (NaN when unknown).</summary>
    public double ServerCpuPerRequest => Ok > 0 && ServerCpu > TimeSpan.Zero ? ServerCpu.TotalMicroseconds / (Ok + Failed + TimedOut) : double.NaN;
}

/// <summary>Latency at the wire over a cell: each request's first byte to its answer's last as the loopback
/// interface saw them, so neither the client's scheduling nor its TLS and HTTP code is in it.</summary>
/// <param name="Latency">Per exchange.</param>
/// <param name="Exchanges">Requests paired with an answer in the capture.</param>
/// <param name="Dropped">Packets the kernel dropped from the capture (then exchanges are missing).</param>
public sealed record WireStats(LatencyRecorder Latency, long Exchanges, long Dropped)
{
    /// <summary>The statistics of <paramref name="result"/>.</summary>
    public static WireStats From(Wire.WireResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var latency = new LatencyRecorder();
        foreach (var exchange in result.Exchanges)
        {
            latency.RecordMicroseconds((exchange.Nanoseconds + 500) / 1000);
        }

        return new WireStats(latency, result.Exchanges.Count, result.Dropped);
    }
}
