using System.Globalization;
using EgressTls.LoadBench.Load;

namespace EgressTls.LoadBench.Report;

/// <summary>Prints the measured cells and the serve/floor ratios as fixed-width text tables.</summary>
public static class TableWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One row per cell.</summary>
    public static void WriteCells(TextWriter output, IReadOnlyList<CellResult> cells, IReadOnlyDictionary<string, int> bodySizes)
    {
        var wire = cells.Any(c => c.Wire is not null);
        output.WriteLine($"{"target",-6} {"body",-15} {"bytes",6} {"mode",-14} {"ok",8} {"err",4} {"t/o",5} {"req/s",8} {"p50 ms",7} {"p99 ms",7} {"p99.9 ms",8} {"max ms",7} {"srv us/req",10} {"memo",5} {"lag p99",8}"
            + (wire ? $" {"wire p50",8} {"wire p99",8} {"p99.9",7}" : "") + "  load");
        foreach (var c in cells)
        {
            var lag = c.DispatchLag is { } l ? Ms(l.ValueAtPercentile(99)) : "";
            var mode = c.Overloaded ? c.Mode + "!" : c.Mode;
            var atWire = !wire ? ""
                : c.Wire is { } w ? string.Create(Invariant, $" {Ms(w.Latency.ValueAtPercentile(50)),8} {Ms(w.Latency.ValueAtPercentile(99)),8} {Ms(w.Latency.ValueAtPercentile(99.9)),7}") + (w.Dropped > 0 ? $" ({w.Dropped} dropped)" : "")
                : $" {"",8} {"",8} {"",7}";
            output.WriteLine(string.Create(Invariant,
                $"{c.Target,-6} {c.Body,-15} {bodySizes.GetValueOrDefault(c.Body),6} {mode,-14} {c.Ok,8} {c.Failed,4} {c.TimedOut,5} {c.Throughput,8:0} {Ms(c.Latency.ValueAtPercentile(50)),7} {Ms(c.Latency.ValueAtPercentile(99)),7} {Ms(c.Latency.ValueAtPercentile(99.9)),8} {Ms(c.Latency.MaxValue),7} {Cpu(c.ServerCpuPerRequest),10} {MemoShare([c]),5} {lag,8}{atWire}  {c.Load}"));
        }

        output.WriteLine("mode: sat N = closed loop over N connections; rate R = open loop at R req/s, latency from the intended send time; '!' = gave up overloaded"
            + " (more than 2 s of backlog); err = wrong answers; t/o = no answer within 10 s.");
        output.WriteLine("srv us/req = CPU time of the target process per request (user+system); memo = share of serve's decisions answered from its memo;");
        output.WriteLine("lag p99 = how late the client sent (client-side error bound).");
        if (wire)
        {
            output.WriteLine("wire = the target's own time (--wire): a request's first byte to its answer's last on the loopback interface (packet capture),");
            output.WriteLine("without the client's scheduling, TLS and HTTP code, which the other latencies include.");
        }
    }

    /// <summary>
    /// serve against floor, body by body, where both were measured. With repeated cells (<c>--repeat</c>) the
    /// k-th floor cell of a body and mode is paired with its k-th serve cell (measured back to back), and
    /// each column gives the median over the pairs, the ratios followed by their range.
    /// </summary>
    public static void WriteRatios(TextWriter output, IReadOnlyList<CellResult> cells)
    {
        var wire = cells.Any(c => c.Wire is not null);
        var rows = new List<string>();
        foreach (var body in cells.Select(c => c.Body).Distinct())
        {
            List<CellResult> Of(string target, bool saturation) =>
                [.. cells.Where(c => c.Target == target && c.Body == body && c.Mode.StartsWith(saturation ? "sat" : "rate", StringComparison.Ordinal))];
            var (floorSat, serveSat, floorRate, serveRate) = (Of("floor", true), Of("serve", true), Of("floor", false), Of("serve", false));
            var pairs = Math.Min(floorSat.Count, serveSat.Count);
            if (pairs == 0)
            {
                continue;
            }

            var throughput = Enumerable.Range(0, pairs).Select(i => serveSat[i].Throughput / floorSat[i].Throughput).ToList();
            var cpu = Enumerable.Range(0, pairs).Select(i => floorSat[i].ServerCpuPerRequest / serveSat[i].ServerCpuPerRequest).ToList();
            rows.Add(string.Create(Invariant,
                $"{body,-15} {Median(floorSat.Select(c => c.Throughput)),11:0} {Median(serveSat.Select(c => c.Throughput)),11:0} {Ratio(throughput),15} {Cpu(Median(floorSat.Select(c => c.ServerCpuPerRequest))),9} {Cpu(Median(serveSat.Select(c => c.ServerCpuPerRequest))),9} {Ratio(cpu),15} {P99(floorRate),10} {P99(serveRate),10}{(wire ? $" {WireP99(floorRate),10} {WireP99(serveRate),10}" : "")} {MemoShare(serveSat),5}"));
        }

        if (rows.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"{"body",-15} {"floor req/s",11} {"serve req/s",11} {"serve/flr",15} {"floor cpu",9} {"serve cpu",9} {"cpu ratio",15} {"flr p99@R",10} {"srv p99@R",10}{(wire ? $" {"flr wire",10} {"srv wire",10}" : "")} {"memo",5}");
        foreach (var row in rows)
        {
            output.WriteLine(row);
        }

        output.WriteLine("serve/flr = saturation throughput of serve relative to the floor (target >= 70%); cpu ratio = floor CPU/request over serve CPU/request");
        output.WriteLine("(the same ratio, less disturbed by other load on the machine); p99@R = p99 at the offered rate (target < 2 ms);");
        if (wire)
        {
            output.WriteLine("flr/srv wire = p99 at the offered rate at the wire: the target's own time, without the client's (see --wire);");
        }

        output.WriteLine("memo = share of serve's decisions at saturation answered from its memo (0%: every decision rendered, the cold path).");
        if (cells.GroupBy(c => (c.Target, c.Body, c.Mode)).Any(g => g.Count() > 1))
        {
            output.WriteLine("repeated cells: medians over the repetitions; ratios as median (lowest-highest) of the back-to-back pairs.");
        }
    }

    /// <summary>The median (the mean of the middle two for an even count); NaN when empty.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Ratio(IReadOnlyList<double> ratios) =>
        ratios.Count == 1
            ? Percent(ratios[0])
            : $"{Percent(Median(ratios))} ({Percent(ratios.Where(r => !double.IsNaN(r)).DefaultIfEmpty(double.NaN).Min())}-{Percent(ratios.Where(r => !double.IsNaN(r)).DefaultIfEmpty(double.NaN).Max())})";

    // Hits over lookups summed over the cells whose memo counters were read; empty when none were.
    private static string MemoShare(IReadOnlyList<CellResult> cells)
    {
        var read = cells.Where(c => c.Memo is not null).ToList();
        return read.Count == 0 ? "" : Percent((double)read.Sum(c => c.Memo!.Hits) / read.Sum(c => c.Memo!.Lookups));
    }

    private static string P99(IReadOnlyList<CellResult> cells) =>
        cells.Count == 0 ? "" : Ms((long)Median(cells.Select(c => (double)c.Latency.ValueAtPercentile(99))));

    private static string WireP99(IReadOnlyList<CellResult> cells)
    {
        var measured = cells.Where(c => c.Wire is not null).ToList();
        return measured.Count == 0 ? "" : Ms((long)Median(measured.Select(c => (double)c.Wire!.Latency.ValueAtPercentile(99))));
    }

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("0.000", Invariant);

    private static string Cpu(double microseconds) => double.IsNaN(microseconds) ? "-" : microseconds.ToString("0", Invariant);

    private static string Percent(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "-" : (ratio * 100).ToString("0", Invariant) + "%";
}
