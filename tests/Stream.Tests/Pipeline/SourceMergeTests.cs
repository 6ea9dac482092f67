using System.Reactive.Subjects;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

[Collection(PipelineCollection.Name)]
public sealed class SourceMergeTests
{
    [Fact]
    public async Task Sources_on_their_own_threads_merge_and_every_symbols_ticks_keep_their_order()
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        // wall clock (live) and a price rule only. The ticks are stamped in the next regular session after
        // today, ahead of the wall clock: a shard timer firing meanwhile can never move an engine past them
        // (with past times it could, and the last quote would then rightly be stale and fire nothing)
        var books = BookSet.Parse("books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n", "test books");
        await using var pipeline = new TickPipeline(new PipelineOptions { Shards = 2, ShardCapacity = 16 }, symbols, books, target);
        pipeline.Start();
        // a stock position on each feed whose stop only the last tick of its feed reaches
        string[] roots = ["AAPL", "MSFT"];
        foreach (var r in roots)
            Assert.Null(await pipeline.AddPositionAsync(Ticks.Position(
                $$"""{ "id": "{{r}}-1", "book": "stop_only", "stop_underlying": 100, "legs": [ { "symbol": "{{r}}", "qty": 100, "entry_price": 150 } ] }""")));
        var subjects = roots.Select(_ => new Subject<Tick>()).ToArray();
        var runs = roots.Select((r, i) => pipeline.RunSourceAsync(new ObservableTickSource(subjects[i], r))).ToArray();
        long t0 = Streamer.Rules.Calendar.MarketCalendar.Nyse.NextSessionOpenAfter(
            Streamer.Rules.Time.NanoTime.FromDateTime(DateTime.UtcNow.AddDays(1))) + 30 * Streamer.Rules.Time.NanoTime.PerMinute;
        const int Count = 20_000;
        var feeds = roots.Select((r, i) => Task.Run(() =>
        {
            int id = symbols.Intern(r);
            for (int k = 0; k < Count; k++)
            {
                double price = k == Count - 1 ? 99.99 : 150 + (k % 10) * 0.01; // the stop level only at the very end
                subjects[i].OnNext(Tick.Quote(t0 + k * 1_000L, id, price, price + 0.01));
            }
            subjects[i].OnCompleted();
        })).ToArray();
        await Task.WhenAll(feeds);
        await Task.WhenAll(runs);
        await pipeline.DeliveredAsync(TimeSpan.FromSeconds(30)); // the exits too: they reach the target after the flush

        var status = pipeline.Status();
        Assert.Equal(2 * Count, status.TicksIn);
        Assert.Equal(2 * Count, status.TicksProcessed);
        Assert.Equal(["AAPL-1:1", "MSFT-1:1"], target.Exits.Select(e => e.Id).Order(StringComparer.Ordinal));
        // each feed's ticks reached its shard's engine in the feed's own order: none was older than one before it
        Assert.All(await pipeline.QueryAsync(e => e.Counters.OutOfOrder), n => Assert.Equal(0, n));
        Assert.Equal(2 * Count, (await pipeline.QueryAsync(e => e.Counters.Ticks)).Sum());
        Assert.Equal(FeedStatus.Down, pipeline.Feed.Current); // both sources ended
    }

    [Fact]
    public async Task A_channel_source_whose_producer_is_idle_does_not_hold_up_the_stop()
    {
        // an Alpaca-like producer that keeps its writer open and has nothing to say: the stop must still return
        var symbols = new SymbolTable();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Virtual }, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        pipeline.Start();
        var channel = System.Threading.Channels.Channel.CreateUnbounded<Tick>();
        var run = pipeline.RunSourceAsync(new ChannelTickSource(channel.Reader, "idle"));
        var subject = new Subject<Tick>();
        var other = pipeline.RunSourceAsync(new ObservableTickSource(subject, "rx"));
        Assert.True(channel.Writer.TryWrite(Tick.Quote(Ticks.At("2026-01-06T15:00:00Z"), symbols.Intern("AAPL"), 150, 150.01)));
        await Waits.UntilAsync(() => pipeline.Status().TicksIn == 1, "the tick in");
        await pipeline.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await other.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(FeedStatus.Down, pipeline.Feed.Current);
        // what the producer writes after the stop goes nowhere
        Assert.True(channel.Writer.TryWrite(Tick.Quote(Ticks.At("2026-01-06T15:00:01Z"), symbols.Intern("AAPL"), 150, 150.01)));
        Assert.Equal(1, channel.Reader.Count); // nobody reads it: the source has stopped (no sleep needed to see it)
        Assert.Equal(1, pipeline.Status().TicksIn);
    }
}
