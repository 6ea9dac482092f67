using System.Reactive.Subjects;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Pipeline;
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
}
