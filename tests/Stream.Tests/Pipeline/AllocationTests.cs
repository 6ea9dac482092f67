using System.Reactive.Linq;
using System.Reactive.Subjects;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// The per-tick path allocates nothing: measured with GC.GetAllocatedBytesForCurrentThread on the
/// thread that does the work (the shard's own thread for the shard path).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class AllocationTests
{
    /// <remarks>
    /// With <c>Pipeline:PublishFrom = shard</c> the shard also runs each exit's publish path (journal
    /// record, state JSON, the NATS client's write): the dispatcher counts those bytes on the shard's own
    /// thread, and everything else the shard does must still be 0 B.
    /// </remarks>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_shard_thread_allocates_nothing_per_tick_pricing_options_firing_exits_and_writing_snapshots(bool publishOnShard)
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        var snapshots = new CollectingSnapshotTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions
        {
            Clock = ClockMode.Virtual,
            Shards = 1,
            ShardCapacity = 1024,
            SnapshotInterval = TimeSpan.FromMilliseconds(20),
            PublishOnShard = publishOnShard,
        }, symbols, BookSet.BuiltIn, target, snapshots);
        pipeline.Start();
        var shard = pipeline.Shards[0];
        // an option spread repriced (IV, Greeks) on every tick, and 20 stock positions with stops 99, 98, ... 80
        Assert.Null(await AddAndRelease(pipeline, Ticks.PutCreditSpread("SPY-PCS")));
        for (int i = 1; i <= 20; i++)
            _ = pipeline.AddPositionAsync(Ticks.Position(
                $$"""{ "id": "STK-{{i}}", "book": "day_trade", "stop_underlying": {{100 - i}}, "legs": [ { "symbol": "SPY", "qty": 100, "entry_price": 600 } ] }"""));
        int spy = symbols.Intern("SPY"), shortPut = symbols.Intern("SPY260220P00580000"), longPut = symbols.Intern("SPY260220P00575000");

        long t = Ticks.At("2026-01-06T15:00:01Z");
        int n = 0;
        void Feed(int count, Func<int, double> spot)
        {
            for (int i = 0; i < count; i++, n++)
            {
                t += 1_000_000;
                double wiggle = (n % 10) * 0.01;
                switch (n % 3)
                {
                    case 0: pipeline.Ingress.Publish(Tick.Quote(t, spy, spot(i), spot(i) + 0.02)); break;
                    case 1: pipeline.Ingress.Publish(Tick.Quote(t, shortPut, 2.05 + wiggle, 2.08 + wiggle)); break;
                    default: pipeline.Ingress.Publish(Tick.Quote(t, longPut, 0.88 + wiggle, 0.90 + wiggle)); break;
                }
            }
        }

        // warm-up: every path once (stock stops are far below, no exit yet)
        shard.MeasureAllocations = true;
        Feed(30_000, _ => 600 + (n % 7) * 0.01);
        await pipeline.FlushAsync();
        Assert.Empty(target.Exits);
        // one exit through the whole path to warm it too: a fresh position with a stop just under the price
        Assert.Null(await AddAndRelease(pipeline, Ticks.Position("""{ "id": "WARM", "book": "day_trade", "stop_underlying": 599.5, "legs": [ { "symbol": "SPY", "qty": 100, "entry_price": 600 } ] }""")));
        Feed(30, _ => 599.4);
        Feed(3000, _ => 600);
        await pipeline.FlushAsync();
        await Waits.UntilAsync(() => target.Exits.Count == 1, "the warm-up exit");

        long before = shard.AllocatedBytesOnTicks;
        long publishingBefore = pipeline.Exits.ExitThreadAllocatedBytes;
        long buffersBefore = pipeline.Exits.Buffers.Allocated;
        long ticksBefore = shard.Ticks;
        int snapshotsBefore = snapshots.Messages.Count;
        // measured: 120k ticks; SPY walks from 600 down through every stock stop
        Feed(120_000, i => i < 60_000 ? 600 : 600 - (i - 60_000) * (521.0 / 60_000));
        await pipeline.FlushAsync();
        long allocated = shard.AllocatedBytesOnTicks - before;
        long publishing = publishOnShard ? pipeline.Exits.ExitThreadAllocatedBytes - publishingBefore : 0;
        long buffers = pipeline.Exits.Buffers.Allocated - buffersBefore;
        await pipeline.StopAsync();

        Assert.Equal(120_000, shard.Ticks - ticksBefore);
        // the 20 stock stops fired inside the measured ticks (and the spread's delta stop as SPY fell through its strikes)
        var fired = target.Exits.Select(e => e.Id).ToHashSet();
        Assert.All(Enumerable.Range(1, 20), i => Assert.Contains($"STK-{i}:1", fired));
        Assert.Contains("SPY-PCS:1", fired);
        if (publishOnShard) Assert.True(publishing > 0, "the shard ran the exits' publish path");
        Assert.True(allocated - publishing == 0, $"{allocated - publishing} B allocated on the shard thread over 120,000 ticks besides the exits' publish path ({publishing} B for {fired.Count} exits; {buffers} pooled buffers created)");
        Assert.True(snapshots.Messages.Count > snapshotsBefore, "snapshots were written while measuring");
    }

    private static async Task<string?> AddAndRelease(TickPipeline pipeline, Streamer.Rules.Positions.PositionSpec spec)
    {
        var added = pipeline.AddPositionAsync(spec);
        // with a tape clock a position joins at the next tick (its opened_at is due)
        pipeline.Ingress.Publish(Tick.Quote(Ticks.At("2026-01-06T15:00:00Z"), pipeline.Symbols.Intern("SPY"), 600, 600.02));
        return await added;
    }

    [Fact]
    public void Rx_where_select_and_subjects_over_a_struct_tick_do_not_allocate_per_OnNext()
    {
        var subject = new Subject<Tick>();
        var counter = new CountingObserver();
        using var sub = subject.Where(t => t.HasQuote).Select(t => t.Bid).Subscribe(counter);
        var tick = Tick.Quote(1, 1, 10, 10.02);
        for (int i = 0; i < 1000; i++) subject.OnNext(tick);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++) subject.OnNext(tick);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(101_000, counter.Count);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Rx_merge_of_two_struct_streams_does_not_allocate_per_OnNext()
    {
        var a = new Subject<Tick>();
        var b = new Subject<Tick>();
        var counter = new CountingObserver();
        using var sub = a.Merge(b).Select(t => t.Bid).Subscribe(counter);
        var tick = Tick.Quote(1, 1, 10, 10.02);
        for (int i = 0; i < 1000; i++) { a.OnNext(tick); b.OnNext(tick); }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50_000; i++) { a.OnNext(tick); b.OnNext(tick); }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(102_000, counter.Count);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Rx_throttle_allocates_per_OnNext_which_is_why_stale_detection_is_written_by_hand()
    {
        var subject = new Subject<Tick>();
        using var sub = subject.Throttle(TimeSpan.FromSeconds(30)).Subscribe(_ => { });
        var tick = Tick.Quote(1, 1, 10, 10.02);
        for (int i = 0; i < 1000; i++) subject.OnNext(tick);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) subject.OnNext(tick);
        long perTick = (GC.GetAllocatedBytesForCurrentThread() - before) / 10_000;

        // the stale detector must see every tick; Rx's time-window operators cannot be on that path
        Assert.True(perTick > 0, $"Throttle allocated {perTick} B per OnNext");
    }

    private sealed class CountingObserver : IObserver<double>
    {
        public long Count;

        public void OnNext(double value) => Count++;

        public void OnError(Exception error) => throw error;

        public void OnCompleted()
        {
        }
    }
}
