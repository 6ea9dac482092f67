using Streamer.Rules.Market;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>The shard's lock-free inbox: order, no loss, no duplicate, under many writers; full and completed behave.</summary>
public sealed class ShardRingTests
{
    private static ShardItem Item(int writer, long n) => ShardItem.ForTick(new Tick { SymbolId = writer, TimeNs = n }, n);

    [Fact]
    public void One_writer_reads_back_in_order_and_a_full_ring_refuses_until_read()
    {
        var ring = new ShardRing(5);
        Assert.Equal(8, ring.Capacity); // a power of two
        for (int i = 0; i < 8; i++) Assert.True(ring.TryWrite(Item(1, i)));
        Assert.False(ring.TryWrite(Item(1, 8)));
        Assert.Equal(8, ring.Count);
        Assert.True(ring.TryRead(out var first));
        Assert.Equal(0, first.Tick.TimeNs);
        Assert.True(ring.TryWrite(Item(1, 8)));
        for (long expected = 1; expected <= 8; expected++)
        {
            Assert.True(ring.TryRead(out var item));
            Assert.Equal(expected, item.Tick.TimeNs);
        }
        Assert.False(ring.TryRead(out _));
        Assert.False(ring.HasItem());
    }

    [Fact]
    public void Four_writers_and_one_reader_lose_nothing_duplicate_nothing_and_keep_each_writers_order()
    {
        const int Writers = 4, PerWriter = 200_000;
        var ring = new ShardRing(256); // small: writers find it full often and wait
        var last = new long[Writers + 1];
        Array.Fill(last, -1);
        long read = 0;
        string? broken = null;
        var reader = new Thread(() =>
        {
            while (read < Writers * PerWriter && broken is null)
            {
                if (!ring.TryRead(out var item))
                {
                    Thread.SpinWait(10);
                    continue;
                }
                int w = item.Tick.SymbolId;
                // each writer's items in its order, none missing, none twice
                if (item.Tick.TimeNs != last[w] + 1) broken = $"writer {w}: {item.Tick.TimeNs} after {last[w]}";
                last[w] = item.Tick.TimeNs;
                read++;
            }
        });
        reader.Start();
        var writers = Enumerable.Range(1, Writers).Select(w => new Thread(() =>
        {
            for (long n = 0; n < PerWriter; n++) Assert.True(ring.Write(Item(w, n)) >= 0);
        })).ToList();
        writers.ForEach(t => t.Start());
        writers.ForEach(t => t.Join());
        Assert.True(reader.Join(TimeSpan.FromMinutes(2)), $"the reader took {read} of {Writers * PerWriter}");
        Assert.Null(broken);
        Assert.All(Enumerable.Range(1, Writers), w => Assert.Equal(PerWriter - 1, last[w]));
        Assert.False(ring.HasItem());
    }

    [Fact]
    public void After_completion_writes_are_refused_what_was_written_is_read_and_leftovers_go_to_the_orphan_callback()
    {
        var ring = new ShardRing(16);
        Assert.True(ring.TryWrite(Item(1, 0)));
        Assert.True(ring.TryWrite(Item(1, 1)));
        ring.Complete();
        Assert.Equal(-1, ring.Write(Item(1, 2)));
        Assert.Equal(-1, ring.WriteCommand(Item(1, 3)));
        Assert.False(ring.IsDone); // two still to read
        Assert.True(ring.TryRead(out var a));
        Assert.Equal(0, a.Tick.TimeNs);
        // the reader stops here (its thread ended): what it left is handed over, not lost
        var orphans = new List<long>();
        ring.ReaderEnded(i => orphans.Add(i.Tick.TimeNs));
        Assert.Equal([1L], orphans);
        Assert.True(ring.IsDone);
    }
}
