using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// Input no check should let through, and code that should never throw: a tick stamped in year 0001
/// or 2262+ is dropped at the ingress (counted), and an item whose processing throws is skipped and
/// alerted, the shard going on with the next: nothing on a shard thread ends the process.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HostileTickTests
{
    private const string Stop = """{ "id": "STK", "book": "day_trade", "stop_underlying": 599, "legs": [ { "symbol": "SPY", "qty": 100, "entry_price": 600 } ] }""";

    [Fact]
    public async Task Ticks_stamped_outside_1900_to_2200_are_dropped_at_the_ingress_and_never_reach_a_clock_or_a_calendar()
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Virtual }, symbols, BookSet.BuiltIn, target);
        pipeline.Start();
        var added = pipeline.AddPositionAsync(Ticks.Position(Stop));
        long session = Ticks.At("2026-01-06T15:00:00Z");
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY", session, 600, 600.02));
        Assert.Null(await added);

        // year 0001 (what a wrapped parse gave), 2262 and past, the extremes of a long: all below the stop
        foreach (long t in new[] { NanoTime.FromDateTime(new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc)), long.MaxValue, long.MinValue, NanoTime.MaxNs + 1, NanoTime.MinNs - 1 })
            pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY", t, 590, 590.02));
        await pipeline.FlushAsync();
        Assert.Equal(5, pipeline.Ingress.OutOfRangeTimes);
        Assert.Empty(target.Exits); // none of them moved a price or the clock

        // the feed goes on: a real tick below the stop fires it
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY", session + NanoTime.PerSecond, 590, 590.02));
        await Waits.UntilAsync(() => target.Exits.Count == 1, "the stop fires on the next sane tick");
        Assert.Equal(2, pipeline.Status().TicksProcessed); // the two sane ones only
    }

    [Fact]
    public async Task An_item_that_throws_on_the_shard_is_skipped_and_alerted_and_the_shard_goes_on()
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        var alerts = new List<PipelineAlert>();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Virtual }, symbols, BookSet.BuiltIn, target);
        using var _ = pipeline.Alerts.Subscribe(a => { lock (alerts) alerts.Add(a); });
        pipeline.Start();
        var added = pipeline.AddPositionAsync(Ticks.Position(Stop));
        long session = Ticks.At("2026-01-06T15:00:00Z");
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY", session, 600, 600.02));
        Assert.Null(await added);

        var bad = new ThrowingCommand();
        pipeline.Shards[0].PostCommand(bad);
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY", session + NanoTime.PerSecond, 590, 590.02));
        await Waits.UntilAsync(() => target.Exits.Count == 1, "the stop fires after the failed item");

        Assert.True(bad.Abandoned, "the failed command's caller is told");
        Assert.Equal(1, pipeline.Shards[0].Failures);
        PipelineAlert alert;
        lock (alerts) alert = Assert.Single(alerts, a => a.Kind == PipelineAlert.Kinds.EngineError);
        Assert.Contains("ThrowingCommand", alert.Message, StringComparison.Ordinal);
        Assert.Contains("boom", alert.Message, StringComparison.Ordinal);
    }

    private sealed class ThrowingCommand : ShardCommand
    {
        public bool Abandoned { get; private set; }

        public override void Execute(Shard shard) => throw new InvalidOperationException("boom");

        public override void Abandon() => Abandoned = true;
    }
}
