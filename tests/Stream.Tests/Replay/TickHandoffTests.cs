using System.Runtime.ExceptionServices;
using Streamer.Rules.Market;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Tests.Replay;

public sealed class TickHandoffTests
{
    /// <summary>Drains the hand-off on this thread the way the replay does: batch, slots, release.</summary>
    private static List<(long TimeNs, int SymbolCount)> Drain(TickHandoff handoff, Action<long>? onTick = null)
    {
        var seen = new List<(long, int)>();
        long sequence = 0;
        while (handoff.TryTakeBatch(sequence, out int count))
        {
            Assert.InRange(count, 1, handoff.Capacity / 4);
            long end = sequence + count;
            for (; sequence < end; sequence++)
            {
                ref readonly var slot = ref handoff.At(sequence);
                seen.Add((slot.Tick.TimeNs, slot.SymbolCount));
                onTick?.Invoke(slot.Tick.TimeNs);
            }
            handoff.Release(end);
        }
        return seen;
    }

    [Theory]
    [InlineData(128, 1_000_000)]
    [InlineData(2048, 1_000_000)]
    [InlineData(128, 63)]  // less than one publish batch: only the end publishes it
    [InlineData(128, 0)]
    public void Every_tick_arrives_once_in_order_across_many_laps(int capacity, int ticks)
    {
        using var handoff = new TickHandoff(capacity);
        var producer = new Thread(() =>
        {
            for (int i = 0; i < ticks; i++)
                Assert.True(handoff.Write(Tick.Quote(i, 1 + (i % 7), 1, 2), symbolCount: i / 1000));
            handoff.Complete(finalSymbolCount: 4242, failure: null);
        });
        producer.Start();
        var seen = Drain(handoff);
        producer.Join();

        Assert.Equal(ticks, seen.Count);
        for (int i = 0; i < ticks; i++)
            Assert.Equal((i, i / 1000), seen[i]);
        Assert.Equal(4242, handoff.FinalSymbolCount);
        handoff.ThrowIfProducerFailed(); // none
    }

    [Fact]
    public void A_slow_consumer_makes_the_producer_wait_and_loses_nothing()
    {
        using var handoff = new TickHandoff(128);
        const int ticks = 3_000;
        var producer = new Thread(() =>
        {
            for (int i = 0; i < ticks; i++) handoff.Write(Tick.Trade(i, 1, 10), 1);
            handoff.Complete(1, null);
        });
        producer.Start();
        // the consumer sleeps now and then: the producer runs into a full ring, spins, yields and blocks
        var seen = Drain(handoff, t => { if (t % 500 == 0) Thread.Sleep(5); });
        producer.Join();
        Assert.Equal(Enumerable.Range(0, ticks).Select(i => (long)i), seen.Select(s => s.TimeNs));
    }

    [Fact]
    public void The_producers_failure_comes_after_every_tick_it_published()
    {
        using var handoff = new TickHandoff(128);
        var producer = new Thread(() =>
        {
            for (int i = 0; i < 1_000; i++) handoff.Write(Tick.Trade(i, 1, 10), 1);
            handoff.Complete(1, ExceptionDispatchInfo.Capture(new FormatException("row 1001 is bad")));
        });
        producer.Start();
        var seen = Drain(handoff);
        producer.Join();

        Assert.Equal(1_000, seen.Count);
        var error = Assert.Throws<FormatException>(handoff.ThrowIfProducerFailed);
        Assert.Equal("row 1001 is bad", error.Message);
    }

    [Fact]
    public void An_abandoned_hand_off_releases_a_producer_blocked_on_a_full_ring()
    {
        using var handoff = new TickHandoff(128);
        int written = 0;
        bool lastWrite = true;
        var producer = new Thread(() =>
        {
            while (lastWrite = handoff.Write(Tick.Trade(written, 1, 10), 1)) written++;
        });
        producer.Start();
        // nobody consumes: the producer fills the ring and blocks
        while (Volatile.Read(ref written) < 128) Thread.Sleep(1);
        Thread.Sleep(50);
        Assert.True(producer.IsAlive);
        Assert.Equal(128, Volatile.Read(ref written));

        handoff.Abandon();
        Assert.True(producer.Join(TimeSpan.FromSeconds(10)), "the producer should stop once the consumer gives up");
        Assert.False(lastWrite);
    }
}
