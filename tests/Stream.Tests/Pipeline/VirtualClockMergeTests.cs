using System.Reactive.Subjects;
using System.Text;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
namespace Streamer.Stream.Tests.Pipeline;

/// <summary>Several Rx sources merged on a virtual (tape-time) clock: what tape time means, and that nothing waits forever.</summary>
[Collection(PipelineCollection.Name)]
public sealed class VirtualClockMergeTests
{
    private static readonly BookSet StopOnly = BookSet.Parse("books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n", "test books");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30); // a hang fails the test instead of stalling the run

    private static string StockPosition(string id, string symbol, string? openedAt = null) =>
        $$"""{ "id": "{{id}}", "book": "stop_only", "stop_underlying": 100, {{(openedAt is null ? "" : $"\"opened_at\": \"{openedAt}\",")}} "legs": [ { "symbol": "{{symbol}}", "qty": 100, "entry_price": 150 } ] }""";

    [Theory]
    [InlineData(2, 16)]
    [InlineData(3, 1)]
    public async Task Two_sources_racing_on_their_own_threads_take_positions_added_before_the_ticks_and_lose_nothing(int shards, int capacity)
    {
        // what SourceMergeTests does on the wall clock, on the tape's clock: positions added (and awaited) first,
        // then two feeds on their own threads whose times interleave (the second runs 2 s of tape time behind)
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions { Shards = shards, ShardCapacity = capacity, Clock = ClockMode.Virtual }, symbols, StopOnly, target);
        pipeline.Start();
        string[] roots = ["AAPL", "MSFT"];
        foreach (var r in roots)
            Assert.Null(await pipeline.AddPositionAsync(Ticks.Position(StockPosition(r + "-1", r))).WaitAsync(Patience));
        var subjects = roots.Select(_ => new Subject<Tick>()).ToArray();
        var runs = roots.Select((r, i) => pipeline.RunSourceAsync(new ObservableTickSource(subjects[i], r))).ToArray();
        long t0 = Ticks.At("2026-01-06T15:00:00Z");
        const int Count = 20_000;
        long last = t0 + (Count - 1) * 1_000_000L;
        var feeds = roots.Select((r, i) => Task.Run(() =>
        {
            int id = symbols.Intern(r);
            long lag = i * 2 * NanoTime.PerSecond;
            for (int k = 0; k < Count; k++)
            {
                double price = k == Count - 1 ? 99.99 : 150 + (k % 10) * 0.01; // the stop level only at the very end
                subjects[i].OnNext(Tick.Quote(t0 + k * 1_000_000L - lag, id, price, price + 0.01));
            }
            subjects[i].OnCompleted();
        })).ToArray();
        await Task.WhenAll(feeds).WaitAsync(Patience);
        await Task.WhenAll(runs).WaitAsync(Patience);
        await pipeline.DeliveredAsync(Patience);

        var status = pipeline.Status();
        Assert.Equal(2 * Count, status.TicksIn);
        Assert.Equal(2 * Count, status.TicksProcessed);
        Assert.Equal(["AAPL-1:1", "MSFT-1:1"], target.Exits.Select(e => e.Id).Order(StringComparer.Ordinal));
        // tape time is the latest tick of any source, and every engine ends there (the end-of-tape step), none behind, none ahead
        Assert.Equal(last, pipeline.Ingress.TapeNowNs);
        Assert.All(await pipeline.QueryAsync(e => e.ClockNs), c => Assert.Equal(last, c));
        Assert.All(await pipeline.QueryAsync(e => e.Counters.OutOfOrder), n => Assert.Equal(0, n));
        Assert.Equal(FeedStatus.Down, pipeline.Feed.Current);
    }

    [Fact]
    public async Task Tape_time_is_the_latest_tick_of_any_source_a_late_tick_never_moves_it_back_and_the_tape_ends_with_the_last_source()
    {
        // one thread drives both sources, so the interleaving is exact
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions { Shards = 2, Clock = ClockMode.Virtual, LatencyInPayload = false }, symbols, StopOnly, target);
        pipeline.Start();
        var fast = new Subject<Tick>();
        var slow = new Subject<Tick>();
        // no opened_at: it joins now (it opens at the tape's first tick), so the caller may wait for it before feeding
        Assert.Null(await pipeline.AddPositionAsync(Ticks.Position(StockPosition("AAPL-1", "AAPL"))).WaitAsync(Patience));
        // opened_at ahead of the tape: they wait for it
        var late = pipeline.AddPositionAsync(Ticks.Position(StockPosition("MSFT-1", "MSFT", "2026-01-06T15:00:20Z")));
        var waiting = pipeline.AddPositionAsync(Ticks.Position(StockPosition("MSFT-2", "MSFT", "2026-01-06T15:01:00Z")));
        var fastRun = pipeline.RunSourceAsync(new ObservableTickSource(fast, "fast"));
        var slowRun = pipeline.RunSourceAsync(new ObservableTickSource(slow, "slow"));
        void Send(Subject<Tick> source, string symbol, string time, double price) =>
            source.OnNext(Ticks.Quote(symbols, symbol, Ticks.At(time), price, price + 0.01));

        Send(fast, "AAPL", "2026-01-06T15:00:00Z", 150);
        Send(fast, "AAPL", "2026-01-06T15:00:10Z", 150);
        Send(slow, "MSFT", "2026-01-06T14:59:50Z", 150); // 20 s behind the tape
        Assert.Equal(Ticks.At("2026-01-06T15:00:10Z"), pipeline.Ingress.TapeNowNs);
        Assert.False(late.IsCompleted); // the slow source's old tick does not make the tape reach 15:00:20 either

        Send(fast, "AAPL", "2026-01-06T15:00:25Z", 150); // the tape passes MSFT-1's opened_at: it joins
        Assert.Null(await late.WaitAsync(Patience));
        Send(slow, "MSFT", "2026-01-06T15:00:05Z", 99.50); // a late tick through the stop
        await pipeline.DeliveredAsync(Patience);
        // it fires at tape time (the engine's clock), never at the late tick's own older time
        var exit = Assert.Single(target.Exits);
        Assert.Equal("MSFT-1:1", exit.Id);
        Assert.Equal(Ticks.At("2026-01-06T15:00:25Z"), exit.DecidedAtNs);
        Assert.Contains("\"time\":\"2026-01-06T15:00:25", Encoding.UTF8.GetString(exit.Payload), StringComparison.Ordinal);
        Assert.Equal(Ticks.At("2026-01-06T15:00:25Z"), pipeline.Ingress.TapeNowNs);
        Assert.All(await pipeline.QueryAsync(e => e.ClockNs), c => Assert.Equal(Ticks.At("2026-01-06T15:00:25Z"), c));

        // the fast source ends first: the slow one still carries the tape, so MSFT-2 keeps waiting for it
        fast.OnCompleted();
        await fastRun.WaitAsync(Patience);
        Assert.Equal(1, pipeline.Status().PositionsWaitingForTape);
        Assert.False(waiting.IsCompleted);
        Send(slow, "MSFT", "2026-01-06T15:01:00Z", 150);
        Assert.Null(await waiting.WaitAsync(Patience));
        Assert.Equal(0, pipeline.Status().PositionsWaitingForTape);
        Assert.NotEqual(FeedStatus.Down, pipeline.Feed.Current);
        slow.OnCompleted();
        await slowRun.WaitAsync(Patience);
        await pipeline.FlushAsync().WaitAsync(Patience);
        Assert.Equal(FeedStatus.Down, pipeline.Feed.Current);
        Assert.All(await pipeline.QueryAsync(e => e.ClockNs), c => Assert.Equal(Ticks.At("2026-01-06T15:01:00Z"), c));
        Assert.Equal(["MSFT-1:1"], target.Exits.Select(e => e.Id));
    }
}
