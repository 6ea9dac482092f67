using Streamer.Stream.Replay;

namespace Streamer.Stream.Tests.Replay;

/// <summary>The report's bounded series: any length ends in at most Capacity buckets, and no extreme is lost.</summary>
public sealed class HtmlReportSeriesTests
{
    [Fact]
    public void A_million_samples_end_in_at_most_capacity_buckets_keeping_a_single_spike_and_the_extremes()
    {
        var s = new MinMaxSeries();
        long t0 = 1_700_000_000_000_000_000;
        double lo = double.MaxValue, hi = double.MinValue;
        for (int i = 0; i < 1_000_000; i++)
        {
            double v = i == 777_777 ? 250 : i == 123_456 ? -40 : 100 + Math.Sin(i / 1000.0);
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
            s.Add(t0 + i * 5_000_000L, v); // 5 ms apart: 83 minutes
        }
        Assert.InRange(s.Count, MinMaxSeries.Capacity / 2, MinMaxSeries.Capacity);
        double max = double.MinValue, min = double.MaxValue;
        int spikeBucket = -1;
        for (int i = 0; i < s.Count; i++)
        {
            if (!s.Has(i)) continue;
            min = Math.Min(min, s.Min(i));
            if (s.Max(i) > max) { max = s.Max(i); spikeBucket = i; }
        }
        Assert.Equal((lo, hi), (min, max));
        // the spike is in the bucket that holds its time
        long spikeT = t0 + 777_777 * 5_000_000L;
        Assert.InRange(spikeT, s.BucketStart(spikeBucket), s.BucketStart(spikeBucket) + s.WidthNs - 1);
        Assert.Equal(100 + Math.Sin(999_999 / 1000.0), s.Last(s.Count - 1));
        Assert.Equal(100 + Math.Sin(999_999 / 1000.0), s.LastAtOrBefore(long.MaxValue / 2));
    }

    [Fact]
    public void Non_finite_values_are_not_samples_and_time_never_goes_back()
    {
        var s = new MinMaxSeries();
        s.Add(1_000, double.NaN);
        Assert.True(s.IsEmpty);
        s.Add(10_000_000, 5);
        s.Add(5_000_000, 7); // earlier than the last: counted at the last's time
        Assert.Equal(1, s.Count);
        Assert.Equal((5.0, 7.0, 5.0, 7.0), (s.Min(0), s.Max(0), s.First(0), s.Last(0)));
    }
}
