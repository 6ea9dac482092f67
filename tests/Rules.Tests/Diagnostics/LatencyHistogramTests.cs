using Streamer.Rules.Diagnostics;

namespace Streamer.Rules.Tests.Diagnostics;

public class LatencyHistogramTests
{
    [Fact]
    public void Quantiles_are_within_the_bucket_precision_of_the_exact_ones()
    {
        var h = new LatencyHistogram();
        var rng = new Random(7);
        var values = new long[100_000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (long)Math.Exp(rng.NextDouble() * 16); // 1 ns .. 8.9 ms, log-uniform
            h.Record(values[i]);
        }
        Array.Sort(values);
        foreach (var q in new[] { 0.5, 0.9, 0.99, 0.999, 1.0 })
        {
            long exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            long got = h.ValueAtQuantile(q);
            Assert.InRange(got, exact, exact + Math.Max(1, exact / 64));
        }
        Assert.Equal(values[0], h.Min);
        Assert.Equal(values[^1], h.Max);
        Assert.Equal(values.Length, h.Count);
    }

    [Fact]
    public void Small_values_are_exact_and_merge_adds_counts()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (int i = 1; i <= 100; i++) (i % 2 == 0 ? a : b).Record(i);
        a.Add(b);
        Assert.Equal(100, a.Count);
        Assert.Equal(50, a.ValueAtQuantile(0.5));
        Assert.Equal(99, a.ValueAtQuantile(0.99));
        Assert.Equal(50.5, a.Mean, 9);
        a.Reset();
        Assert.Equal(0, a.Count);
        Assert.Equal(0, a.ValueAtQuantile(0.5));
    }
}
