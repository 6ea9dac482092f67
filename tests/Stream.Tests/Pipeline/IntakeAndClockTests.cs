using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

[Collection(PipelineCollection.Name)]
public sealed class IntakeAndClockTests
{
    private const string Short = "SPY260220P00580000";
    private const string Long = "SPY260220P00575000";

    [Fact]
    public async Task Positions_added_and_removed_between_ticks_see_exactly_the_ticks_after_them()
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Virtual, Shards = 2 }, symbols, BookSet.BuiltIn, target);
        pipeline.Start();
        var ingress = pipeline.Ingress;
        long t = Ticks.At("2026-01-06T15:00:00Z");
        void Send(string symbol, double bid, double ask) => ingress.Publish(Ticks.Quote(symbols, symbol, t += 1_000_000, bid, ask));

        // before the position exists the spread is already at 50% of max profit: nothing may fire for it
        Send("SPY", 600.00, 600.02);
        Send(Short, 0.99, 1.01);
        Send(Long, 0.39, 0.41);
        var added = pipeline.AddPositionAsync(Ticks.PutCreditSpread("PCS", openedAt: null));
        // at the entry marks (no profit) once it is in
        Send(Short, 2.09, 2.11);
        Assert.Null(await added);
        Send(Long, 0.89, 0.91);
        Send("SPY", 600.01, 600.03);
        await pipeline.FlushAsync();
        Assert.Empty(target.Exits);

        // 50% of max: the first tranche (4 of 10)
        Send(Long, 0.39, 0.41);
        Send(Short, 0.99, 1.01);
        await pipeline.FlushAsync();
        Assert.True(await pipeline.RemovePositionAsync("PCS"));
        // 75%: would be the second tranche, but the position is gone
        Send(Long, 0.30, 0.32);
        Send(Short, 0.60, 0.62);
        await pipeline.StopAsync();

        var exit = Assert.Single(target.Exits);
        Assert.Equal("PCS:1", exit.Id);
        Assert.Contains("\"contracts_closed\":4", Encoding.UTF8.GetString(exit.Payload), StringComparison.Ordinal);
        Assert.Equal(0, pipeline.PositionCount);
        Assert.False(await pipeline.RemovePositionAsync("PCS"));
    }

    [Fact]
    public async Task Intake_racing_a_busy_feed_on_several_shards_loses_nothing()
    {
        var symbols = new SymbolTable();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Wall, Shards = 3, ShardCapacity = 64 }, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        pipeline.Start();
        string[] roots = ["SPY", "QQQ", "IWM", "META"];
        var ids = roots.Select(symbols.Intern).ToArray();
        const int TickCount = 20_000;
        var feed = Task.Run(() =>
        {
            long now = Ticks.WallNow();
            for (int i = 0; i < TickCount; i++)
                pipeline.Ingress.Publish(Streamer.Rules.Market.Tick.Quote(now + i, ids[i % ids.Length], 100 + (i % 7) * 0.01, 100.05 + (i % 7) * 0.01));
        });
        var adds = new List<Task<string?>>();
        for (int i = 0; i < 40; i++)
        {
            var root = roots[i % roots.Length];
            adds.Add(pipeline.AddPositionAsync(Ticks.Position(
                $$"""{ "id": "S-{{i}}", "book": "day_trade", "legs": [ { "symbol": "{{root}}", "qty": 100, "entry_price": 100.0 } ] }""")));
        }
        foreach (var a in adds) Assert.Null(await a);
        for (int i = 0; i < 40; i += 2) Assert.True(await pipeline.RemovePositionAsync($"S-{i}"));
        await feed;
        await pipeline.FlushAsync();

        var snapshots = await pipeline.SnapshotsAsync();
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 2 == 1).Select(i => $"S-{i}").Order(StringComparer.Ordinal), snapshots.Select(s => s.Id));
        var status = pipeline.Status();
        Assert.Equal(TickCount, status.TicksIn);
        Assert.Equal(TickCount, status.TicksProcessed);
        Assert.Equal(20, status.Positions);
    }

    [Fact]
    public async Task A_refused_position_is_an_error_at_once_and_a_duplicate_id_too()
    {
        var symbols = new SymbolTable();
        await using var pipeline = new TickPipeline(new PipelineOptions(), symbols, BookSet.BuiltIn, new CollectingExitTarget());
        pipeline.Start();
        var unknownBook = Ticks.Position("""{ "id": "X-1", "book": "no_such_book", "legs": [ { "symbol": "SPY", "qty": 1, "entry_price": 1 } ] }""");
        var e = Assert.Throws<ConfigException>(() => { _ = pipeline.AddPositionAsync(unknownBook); });
        Assert.Contains("no_such_book", e.Message, StringComparison.Ordinal);
        Assert.Null(await pipeline.AddPositionAsync(Ticks.PutCreditSpread("P-1", expiry: "271217")));
        var dup = Assert.Throws<ConfigException>(() => { _ = pipeline.AddPositionAsync(Ticks.PutCreditSpread("P-1", expiry: "271217")); });
        Assert.Contains("P-1", dup.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_rule_fires_from_the_clock_when_no_tick_arrives()
    {
        // a scaled tape clock (Feed:Speed=20): the tape ends at 15:00:00.1; max_hold is due at 15:00:01.5,
        // 1.4 tape seconds (70 ms of wall time) after the last tick: only the shard's timer can fire it
        const string csv = """
            time,symbol,bid,ask,last
            2026-01-06T15:00:00Z,META,720.00,720.10,
            2026-01-06T15:00:00.05Z,META260220C00720000,17.00,17.30,
            2026-01-06T15:00:00.1Z,META,720.02,720.12,
            """;
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Scaled, Speed = 20 }, symbols, BookSet.BuiltIn, target);
        pipeline.Start();
        _ = pipeline.AddPositionAsync(Ticks.Position("""
            { "id": "HOLD-1", "book": "day_trade", "opened_at": "2026-01-06T14:59:01.5Z",
              "legs": [ { "symbol": "META260220C00720000", "qty": 2, "entry_price": 17.15 } ],
              "overrides": { "max_hold": { "minutes": 1 } } }
            """));
        var tape = TapeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "clock.csv", symbols);
        await pipeline.RunSourceAsync(new TapeTickSource(tape));
        await Waits.UntilAsync(() => target.Exits.Count == 1, "the max_hold exit", TimeSpan.FromSeconds(20));

        var exit = target.Exits[0];
        Assert.Equal("HOLD-1:1", exit.Id);
        Assert.Equal(Ticks.At("2026-01-06T15:00:01.5Z"), exit.DecidedAtNs);
        Assert.Contains("\"rule\":\"max_hold\"", Encoding.UTF8.GetString(exit.Payload), StringComparison.Ordinal);
        var status = pipeline.Status();
        Assert.Equal(3, status.TicksProcessed);
        Assert.True(status.ClockEvents >= 1);
    }
}
