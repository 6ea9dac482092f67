using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Tests.Pipeline;

public sealed class SharedLatencyHistogramTests
{
    [Fact]
    public void Quantiles_are_within_one_percent_and_empty_reads_zero()
    {
        var h = new SharedLatencyHistogram();
        var into = SharedLatencyHistogram.NewHistogram();
        h.AddTo(into);
        Assert.Equal(0, SharedLatencyHistogram.ValueAtQuantile(into, 0.99));
        Assert.Equal(0, SharedLatencyHistogram.Max(into));

        for (long v = 1; v <= 100_000; v++) h.Record(v * 10);
        into = SharedLatencyHistogram.NewHistogram();
        h.AddTo(into);
        Assert.Equal(100_000, into.TotalCount);
        Assert.InRange(SharedLatencyHistogram.ValueAtQuantile(into, 0.5), 500_000 * 0.99, 500_000 * 1.01);
        Assert.InRange(SharedLatencyHistogram.ValueAtQuantile(into, 0.99), 990_000 * 0.99, 990_000 * 1.01);
        Assert.InRange(SharedLatencyHistogram.Max(into), 1_000_000, 1_000_000 * 1.01);
    }

    [Fact]
    public void Out_of_range_values_are_clamped_not_thrown()
    {
        var h = new SharedLatencyHistogram();
        h.Record(-5);
        h.Record(long.MaxValue);
        var into = SharedLatencyHistogram.NewHistogram();
        h.AddTo(into);
        Assert.Equal(2, into.TotalCount);
        Assert.InRange(SharedLatencyHistogram.Max(into), SharedLatencyHistogram.HighestNs * 0.99, SharedLatencyHistogram.HighestNs * 1.01);
    }

    [Fact]
    public async Task A_reader_on_another_thread_sees_every_value_the_writer_recorded_before_it_asked()
    {
        var h = new SharedLatencyHistogram();
        const int N = 2_000_000;
        long written = 0;
        var writer = Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < N; i++)
            {
                h.Record(1000 + i % 5000);
                Volatile.Write(ref written, i + 1);
            }
        }, TaskCreationOptions.LongRunning);
        long lastCount = 0;
        while (!writer.IsCompleted)
        {
            long before = Volatile.Read(ref written);
            var into = SharedLatencyHistogram.NewHistogram();
            h.AddTo(into);
            Assert.True(into.TotalCount >= before, $"read {into.TotalCount} after {before} were written");
            Assert.True(into.TotalCount >= lastCount, "counts never go back");
            lastCount = into.TotalCount;
            await Task.Yield();
        }
        await writer;
        var all = SharedLatencyHistogram.NewHistogram();
        h.AddTo(all);
        Assert.Equal(N, all.TotalCount);
        Assert.InRange(SharedLatencyHistogram.Max(all), 5999, 5999 * 1.01);
    }
}
