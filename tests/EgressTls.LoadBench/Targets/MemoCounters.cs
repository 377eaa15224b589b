using System.Globalization;

namespace EgressTls.LoadBench.Targets;

/// <summary>How many admissions serve answered from its memo, and how many it looked up there.</summary>
/// <param name="Hits">Decisions found in the memo.</param>
/// <param name="Lookups">Decisions looked up (found or rendered).</param>
public sealed record MemoShare(long Hits, long Lookups)
{
    /// <summary>The share answered from the memo (NaN when nothing was looked up).</summary>
    public double HitRatio => Lookups > 0 ? (double)Hits / Lookups : double.NaN;

    /// <summary>What happened between <paramref name="before"/> and this reading.</summary>
    public MemoShare Since(MemoShare before) => new(Hits - before.Hits, Lookups - before.Lookups);
}

/// <summary>Reads serve's memo counters from its Prometheus endpoint (<c>egress_tls_admission_memo_lookups_total</c>).</summary>
public static class MemoCounters
{
    private const string Series = "egress_tls_admission_memo_lookups_total";

    /// <summary>The counters in a Prometheus text exposition; absent series count as 0.</summary>
    public static MemoShare Parse(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        long hits = 0, misses = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(Series + "{", StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.IndexOf('}', StringComparison.Ordinal);
            var value = close < 0 ? null : line[(close + 1)..].Trim().Split(' ')[0];
            if (value is null || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
            {
                throw new FormatException($"cannot read the value of: {line}");
            }

            var labels = line[Series.Length..(close + 1)];
            if (labels.Contains("result=\"hit\"", StringComparison.Ordinal))
            {
                hits = (long)count;
            }
            else if (labels.Contains("result=\"miss\"", StringComparison.Ordinal))
            {
                misses = (long)count;
            }
        }

        return new MemoShare(hits, hits + misses);
    }

    /// <summary>The counters now, from <paramref name="metrics"/> (serve's /metrics).</summary>
    public static async Task<MemoShare> ReadAsync(HttpClient client, Uri metrics)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Parse(await client.GetStringAsync(metrics).ConfigureAwait(false));
    }
}
