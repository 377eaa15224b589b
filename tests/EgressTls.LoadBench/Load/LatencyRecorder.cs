namespace EgressTls.LoadBench.Load;

/// <summary>
/// A fixed-bucket latency histogram in the manner of HdrHistogram: values in microseconds, exact below
/// <see cref="SubBuckets"/> µs, then log-linear buckets (<see cref="SubBuckets"/>/2 per power of two, so
/// any recorded value is reported within 1/64 = 1.6 % of itself). Lock-free recording from many threads;
/// memory is fixed (about 2,000 counters up to <see cref="MaxMicroseconds"/>), whatever the request count.
/// </summary>
public sealed class LatencyRecorder
{
    /// <summary>Exact unit buckets below this value; also the resolution of every power of two above.</summary>
    public const int SubBuckets = 128;

    /// <summary>Largest value kept exactly in its bucket (about 137 s); larger values land in the last bucket.</summary>
    public const long MaxMicroseconds = 1L << 37;

    private const int HalfSubBuckets = SubBuckets / 2;
    private const int SubBucketBits = 7; // log2(SubBuckets)

    private readonly long[] counts = new long[BucketIndex(MaxMicroseconds) + 1];
    private long total;
    private long max;
    private long sum;

    /// <summary>Values recorded.</summary>
    public long Count => Interlocked.Read(ref total);

    /// <summary>Largest value recorded, in microseconds.</summary>
    public long MaxValue => Interlocked.Read(ref max);

    /// <summary>Mean of the recorded values, in microseconds.</summary>
    public double Mean => Count == 0 ? 0 : (double)Interlocked.Read(ref sum) / Count;

    /// <summary>Records one latency.</summary>
    public void Record(TimeSpan latency) => RecordMicroseconds((long)Math.Round(latency.TotalMicroseconds));

    /// <summary>Records one latency in microseconds (negative values count as 0).</summary>
    public void RecordMicroseconds(long value)
    {
        value = Math.Clamp(value, 0, MaxMicroseconds);
        Interlocked.Increment(ref counts[BucketIndex(value)]);
        Interlocked.Increment(ref total);
        Interlocked.Add(ref sum, value);
        long seen;
        while (value > (seen = Interlocked.Read(ref max)) && Interlocked.CompareExchange(ref max, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0-100): the upper edge of the bucket holding the
    /// ceil(p% x count)-th smallest value, capped at the maximum seen (HdrHistogram's convention: the
    /// report never claims a value below one that was recorded in that bucket).
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        var n = Count;
        if (n == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * n));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += Interlocked.Read(ref counts[i]);
            if (seen >= rank)
            {
                return Math.Min(BucketUpperEdge(i), MaxValue);
            }
        }

        return MaxValue;
    }

    /// <summary>The bucket of <paramref name="value"/> (µs).</summary>
    internal static int BucketIndex(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        // value >> shift lands in [64, 128): 64 linear sub-buckets per power of two.
        var shift = 63 - (int)long.LeadingZeroCount(value) - (SubBucketBits - 1);
        return SubBuckets + ((shift - 1) * HalfSubBuckets) + (int)((value >> shift) - HalfSubBuckets);
    }

    /// <summary>The largest value that falls into bucket <paramref name="index"/>.</summary>
    internal static long BucketUpperEdge(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var shift = ((index - SubBuckets) / HalfSubBuckets) + 1;
        var sub = ((index - SubBuckets) % HalfSubBuckets) + HalfSubBuckets;
        return ((long)(sub + 1) << shift) - 1;
    }
}
