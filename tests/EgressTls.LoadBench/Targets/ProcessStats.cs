using System.Globalization;

namespace EgressTls.LoadBench.Targets;

/// <summary>
/// Resident memory and CPU time of a process, from Linux /proc. CPU time per request is the figure
/// least disturbed by other load on a shared machine; throughput and latency are not.
/// </summary>
public static class ProcessStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on

    /// <summary>Resident set size (the working set) in bytes, or -1 when unknown.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }

    /// <summary>User plus system CPU time consumed so far, or <see cref="TimeSpan.Zero"/> when unknown.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Field 2 (comm) is in parentheses and may hold spaces: split after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>The 1-minute load average and the number of CPUs, e.g. "load 3.12 on 2 CPUs".</summary>
    public static string Load()
    {
        var load = "?";
        try
        {
            load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
        }

        return $"load {load} on {Environment.ProcessorCount} CPUs";
    }
}
