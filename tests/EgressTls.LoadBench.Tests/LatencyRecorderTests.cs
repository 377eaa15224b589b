using EgressTls.LoadBench.Load;

namespace EgressTls.LoadBench.Tests;

/// <summary>The latency histogram: exact below 128 µs, within 1/64 of every value above, percentiles by rank.</summary>
public sealed class LatencyRecorderTests
{
    public static TheoryData<long> Values() => [0, 1, 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 4095, 65_537, 999_999, 10_000_000, LatencyRecorder.MaxMicroseconds];

    [Fact]
    public void Values_below_the_sub_bucket_count_have_buckets_of_their_own()
    {
        for (long v = 0; v < LatencyRecorder.SubBuckets; v++)
        {
            LatencyRecorder.BucketIndex(v).Should().Be((int)v);
            LatencyRecorder.BucketUpperEdge((int)v).Should().Be(v);
        }
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void Every_value_lies_in_its_bucket_and_the_bucket_is_at_most_one_64th_of_it_wide(long value)
    {
        var index = LatencyRecorder.BucketIndex(value);
        var upper = LatencyRecorder.BucketUpperEdge(index);
        var lower = index == 0 ? 0 : LatencyRecorder.BucketUpperEdge(index - 1) + 1;

        value.Should().BeInRange(lower, upper);
        ((double)(upper - lower + 1)).Should().BeLessThanOrEqualTo(Math.Max(1, value / 64.0));
    }

    [Fact]
    public void Buckets_tile_the_range_without_gaps_or_overlaps()
    {
        var last = LatencyRecorder.BucketIndex(LatencyRecorder.MaxMicroseconds);
        for (var i = 1; i <= last; i++)
        {
            var lower = LatencyRecorder.BucketUpperEdge(i - 1) + 1;
            LatencyRecorder.BucketIndex(lower).Should().Be(i, "the value after bucket {0}'s upper edge starts bucket {1}", i - 1, i);
            LatencyRecorder.BucketIndex(LatencyRecorder.BucketUpperEdge(i)).Should().Be(i);
        }
    }

    [Fact]
    public void Percentiles_report_the_bucket_of_the_value_at_that_rank_never_above_the_maximum()
    {
        var recorder = new LatencyRecorder();
        for (var v = 1; v <= 1000; v++)
        {
            recorder.RecordMicroseconds(v);
        }

        recorder.Count.Should().Be(1000);
        recorder.Mean.Should().Be(500.5);
        recorder.ValueAtPercentile(50).Should().BeInRange(500, 507); // 500 within 1/64
        recorder.ValueAtPercentile(99).Should().BeInRange(990, 1000);
        recorder.ValueAtPercentile(100).Should().Be(1000);
        recorder.ValueAtPercentile(0).Should().Be(1);
    }

    [Fact]
    public void Negative_values_count_as_zero_and_huge_ones_land_in_the_last_bucket()
    {
        var recorder = new LatencyRecorder();
        recorder.RecordMicroseconds(-5);
        recorder.RecordMicroseconds(long.MaxValue);

        recorder.ValueAtPercentile(50).Should().Be(0);
        recorder.MaxValue.Should().Be(LatencyRecorder.MaxMicroseconds);
        recorder.ValueAtPercentile(100).Should().Be(LatencyRecorder.MaxMicroseconds);
    }

    [Fact]
    public void An_empty_recorder_reports_zero()
    {
        var recorder = new LatencyRecorder();
        recorder.ValueAtPercentile(99).Should().Be(0);
        recorder.Mean.Should().Be(0);
    }
}
