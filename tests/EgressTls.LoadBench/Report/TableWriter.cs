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
        output.WriteLine($"{"target",-6} {"body",-12} {"bytes",6} {"mode",-14} {"ok",8} {"err",4} {"t/o",5} {"req/s",8} {"p50 ms",7} {"p99 ms",7} {"p99.9 ms",8} {"max ms",7} {"srv us/req",10} {"lag p99",8}  load");
        foreach (var c in cells)
        {
            var lag = c.DispatchLag is { } l ? Ms(l.ValueAtPercentile(99)) : "";
            var mode = c.Overloaded ? c.Mode + "!" : c.Mode;
            output.WriteLine(string.Create(Invariant,
                $"{c.Target,-6} {c.Body,-12} {bodySizes.GetValueOrDefault(c.Body),6} {mode,-14} {c.Ok,8} {c.Failed,4} {c.TimedOut,5} {c.Throughput,8:0} {Ms(c.Latency.ValueAtPercentile(50)),7} {Ms(c.Latency.ValueAtPercentile(99)),7} {Ms(c.Latency.ValueAtPercentile(99.9)),8} {Ms(c.Latency.MaxValue),7} {Cpu(c.ServerCpuPerRequest),10} {lag,8}  {c.Load}"));
        }

        output.WriteLine("mode: sat N = closed loop over N connections; rate R = open loop at R req/s, latency from the intended send time; '!' = gave up overloaded"
            + " (more than 2 s of backlog); err = wrong answers; t/o = no answer within 10 s.");
        output.WriteLine("srv us/req = CPU time of the target process per request (user+system); lag p99 = how late the client sent (client-side error bound).");
    }

    /// <summary>serve against floor, body by body, where both were measured.</summary>
    public static void WriteRatios(TextWriter output, IReadOnlyList<CellResult> cells)
    {
        var bodies = cells.Select(c => c.Body).Distinct().ToList();
        var rows = new List<string>();
        foreach (var body in bodies)
        {
            CellResult? Find(string target, bool saturation) =>
                cells.FirstOrDefault(c => c.Target == target && c.Body == body && c.Mode.StartsWith(saturation ? "sat" : "rate", StringComparison.Ordinal));
            var (floorSat, serveSat, floorRate, serveRate) = (Find("floor", true), Find("serve", true), Find("floor", false), Find("serve", false));
            if (floorSat is null || serveSat is null)
            {
                continue;
            }

            rows.Add(string.Create(Invariant,
                $"{body,-12} {floorSat.Throughput,11:0} {serveSat.Throughput,11:0} {Percent(serveSat.Throughput / floorSat.Throughput),9} {Cpu(floorSat.ServerCpuPerRequest),9} {Cpu(serveSat.ServerCpuPerRequest),9} {Percent(floorSat.ServerCpuPerRequest / serveSat.ServerCpuPerRequest),9} {(floorRate is null ? "" : Ms(floorRate.Latency.ValueAtPercentile(99))),10} {(serveRate is null ? "" : Ms(serveRate.Latency.ValueAtPercentile(99))),10}"));
        }

        if (rows.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"{"body",-12} {"floor req/s",11} {"serve req/s",11} {"serve/flr",9} {"floor cpu",9} {"serve cpu",9} {"cpu ratio",9} {"flr p99@R",10} {"srv p99@R",10}");
        foreach (var row in rows)
        {
            output.WriteLine(row);
        }

        output.WriteLine("serve/flr = saturation throughput of serve relative to the floor (target >= 70%); cpu ratio = floor CPU/request over serve CPU/request");
        output.WriteLine("(the same ratio, less disturbed by other load on the machine); p99@R = p99 at the offered rate (target < 2 ms).");
    }

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("0.000", Invariant);

    private static string Cpu(double microseconds) => double.IsNaN(microseconds) ? "-" : microseconds.ToString("0", Invariant);

    private static string Percent(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "-" : (ratio * 100).ToString("0", Invariant) + "%";
}
