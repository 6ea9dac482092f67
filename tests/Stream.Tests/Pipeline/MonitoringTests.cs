using System.Text.Json;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>The seeds' worst failure was a monitor with nothing to monitor: the pipeline says so, loudly.</summary>
[Collection(PipelineCollection.Name)]
public sealed class MonitoringTests
{
    private static PipelineOptions Quick => new()
    {
        UnmonitoredAfter = TimeSpan.FromMilliseconds(200),
        HousekeepingInterval = TimeSpan.FromMilliseconds(20),
        StaleAfter = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task A_position_whose_legs_never_tick_is_reported_unmonitored_naming_the_silent_symbols()
    {
        var symbols = new SymbolTable();
        var alerts = new List<PipelineAlert>();
        await using var pipeline = new TickPipeline(Quick, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        using var _ = pipeline.Alerts.Subscribe(a => { lock (alerts) alerts.Add(a); });
        pipeline.Start();
        Assert.Null(await pipeline.AddPositionAsync(Ticks.PutCreditSpread("PCS", expiry: "271217")));

        // the underlying and the short leg tick; the long leg never does
        long now = Ticks.WallNow();
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY", now, 600, 600.02));
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY271217P00580000", now + 1, 9.00, 9.10));
        await Waits.UntilAsync(() => { lock (alerts) return alerts.Any(a => a.Kind == PipelineAlert.Kinds.UnmonitoredPosition); }, "the unmonitored alert");

        PipelineAlert alert;
        lock (alerts) alert = alerts.Single(a => a.Kind == PipelineAlert.Kinds.UnmonitoredPosition);
        Assert.Equal("PCS", alert.Key);
        Assert.Contains("SPY271217P00575000", alert.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SPY271217P00580000", alert.Message, StringComparison.Ordinal);
        var status = pipeline.Status();
        Assert.Equal(1, status.UnmonitoredPositions);
        Assert.Equal("unmonitored_positions", status.Monitoring);

        // the long leg's first quote: monitored after all
        pipeline.Ingress.Publish(Ticks.Quote(symbols, "SPY271217P00575000", Ticks.WallNow(), 7.90, 8.00));
        await Waits.UntilAsync(() => pipeline.Status().UnmonitoredPositions == 0, "the position is monitored again");
        Assert.Equal("ok", pipeline.Status().Monitoring);
    }

    [Fact]
    public async Task A_position_closed_by_fills_before_its_data_came_is_never_reported_unmonitored_and_its_resizes_are_journaled_in_order()
    {
        var symbols = new SymbolTable();
        var alerts = new List<PipelineAlert>();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(Quick with { UnmonitoredAfter = TimeSpan.FromMilliseconds(400) }, symbols, BookSet.BuiltIn, target);
        using var _ = pipeline.Alerts.Subscribe(a => { lock (alerts) alerts.Add(a); });
        pipeline.Start();
        Assert.Null(await pipeline.AddPositionAsync(Ticks.PutCreditSpread("CLOSED", qty: 2, expiry: "271217")));
        Assert.Null(await pipeline.AddPositionAsync(Ticks.PutCreditSpread("SILENT", qty: 2, expiry: "271218")));

        // the spread is bought back leg by leg: the first leg alone changes nothing, the second closes both units
        var held = await pipeline.ApplyFillAsync(new("c-1", "CLOSED", "SPY271217P00580000", 2, 1.00, Ticks.WallNow()) { Ordinal = 1 }, 2);
        Assert.Equal(Streamer.Rules.Engine.FillEffect.Held, held.Effect);
        var closed = await pipeline.ApplyFillAsync(new("c-2", "CLOSED", "SPY271217P00575000", -2, 0.40, Ticks.WallNow()) { Ordinal = 2 }, -2);
        Assert.Equal(new Streamer.Rules.Engine.FillResult(Streamer.Rules.Engine.FillEffect.Resized, -2, null), closed);
        var notMonitored = await pipeline.ApplyFillAsync(new("c-3", "NOPE", "SPY", 1, 1, 0) { Ordinal = 3 }, 1);
        Assert.Equal(Streamer.Rules.Engine.FillEffect.Rejected, notMonitored.Effect);

        // the silent one is reported: housekeeping has passed the threshold for both
        await Waits.UntilAsync(() => { lock (alerts) return alerts.Any(a => a.Kind == PipelineAlert.Kinds.UnmonitoredPosition); }, "the unmonitored alert");
        await pipeline.FlushAsync();
        lock (alerts) Assert.True(alerts.Where(a => a.Kind == PipelineAlert.Kinds.UnmonitoredPosition).Select(a => a.Key).SequenceEqual(["SILENT"]), string.Join("\n", alerts));
        Assert.Equal(1, pipeline.Status().UnmonitoredPositions);

        await pipeline.StopAsync();
        var change = Assert.Single(target.Changes);
        Assert.Equal(("CLOSED", 0, 2, 2L), (change.PositionId, change.State.ContractsRemaining, change.State.ContractsOriginal, change.State.FillWatermark));
        // bought back 2 × (1.00 − 2.10) on the short leg, sold 2 × (0.40 − 0.90) on the long: (220 − 100)
        Assert.Equal(120, change.State.RealizedPnl, 9);
    }

    [Fact]
    public async Task Zero_positions_and_then_positions_without_any_tick_each_raise_nothing_monitored()
    {
        var symbols = new SymbolTable();
        var alerts = new List<PipelineAlert>();
        await using var pipeline = new TickPipeline(Quick, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        using var _ = pipeline.Alerts.Subscribe(a => { lock (alerts) alerts.Add(a); });
        pipeline.Start();

        await Waits.UntilAsync(() => { lock (alerts) return alerts.Any(a => a.Kind == PipelineAlert.Kinds.NothingMonitored); }, "the no-positions alert");
        Assert.Equal("no_positions", pipeline.Status().Monitoring);
        lock (alerts) Assert.Contains("no positions", alerts.Single(a => a.Kind == PipelineAlert.Kinds.NothingMonitored).Message, StringComparison.Ordinal);

        Assert.Null(await pipeline.AddPositionAsync(Ticks.PutCreditSpread("PCS", expiry: "271217")));
        await Waits.UntilAsync(() => { lock (alerts) return alerts.Count(a => a.Kind == PipelineAlert.Kinds.NothingMonitored) == 2; }, "the no-ticks alert");
        Assert.Equal("no_ticks", pipeline.Status().Monitoring);
        lock (alerts) Assert.Contains("no market data", alerts.Last(a => a.Kind == PipelineAlert.Kinds.NothingMonitored).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshots_go_out_per_underlying_throttled_with_every_positions_valuation()
    {
        var snapshots = new CollectingSnapshotTarget();
        // a 1-hour throttle: exactly one snapshot per underlying over the whole (fast) tape
        var (_, status) = await Demo.RunPipelineAsync(shards: 2, snapshots: snapshots, snapshotInterval: TimeSpan.FromHours(1));

        var bySubject = snapshots.Messages.GroupBy(m => m.Subject).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["streamer.snapshots.META", "streamer.snapshots.QCOM", "streamer.snapshots.SPY"], bySubject.Keys.Order(StringComparer.Ordinal));
        Assert.All(bySubject.Values, list => Assert.Single(list));
        Assert.Equal(3, status.SnapshotsPublished);

        using var doc = JsonDocument.Parse(bySubject["streamer.snapshots.SPY"][0].Payload);
        var root = doc.RootElement;
        Assert.Equal("SPY", root.GetProperty("underlying").GetString());
        var position = Assert.Single(root.GetProperty("positions").EnumerateArray());
        Assert.Equal("SPY-PCS-1", position.GetProperty("id").GetString());
        Assert.Equal("put_credit", position.GetProperty("strategy").GetString());
        Assert.Equal(10, position.GetProperty("contracts_remaining").GetInt32());
        // written at the first SPY tick after the position joined: the underlying is priced
        Assert.True(position.GetProperty("underlying_price").GetDouble() > 500);
    }

    [Fact]
    public async Task A_snapshot_says_how_far_each_rule_is_from_firing()
    {
        var symbols = new SymbolTable();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Virtual, SnapshotInterval = TimeSpan.Zero }, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        pipeline.Start();
        foreach (var p in Demo.Positions()) _ = pipeline.AddPositionAsync(p);
        using var tape = Streamer.Feed.Tapes.TapeReader.Open(Demo.File("ticks.csv"), symbols);
        long until = Ticks.At("2026-01-08T15:00:00Z");
        while (tape.TryRead(out var tick) && tick.TimeNs < until) pipeline.Ingress.Publish(in tick);
        // the message the shard would publish, written on its thread between two ticks
        var json = (await pipeline.QueryAsync(engine =>
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer)) SnapshotJson.Write(w, engine, "SPY", ["SPY-PCS-1"]);
            return buffer.WrittenSpan.ToArray();
        }))[0];

        using var doc = JsonDocument.Parse(json);
        var position = Assert.Single(doc.RootElement.GetProperty("positions").EnumerateArray());
        Assert.True(position.TryGetProperty("triggers", out var triggers), position.GetRawText());
        // the primary book: the first tranche at 50% of max, the credit stop at 1.5x the credit, the short delta, the 21-DTE stop
        double pct = position.GetProperty("pct_max_profit").GetDouble();
        Assert.Equal(0.5, triggers.GetProperty("next_tranche_level").GetDouble());
        Assert.Equal(0.5 - pct, triggers.GetProperty("to_next_tranche").GetDouble(), 5);
        // credit 0.73 × 100 × 10 = $730: the stop is at a $1,095 debit; the gap is that minus the debit to close now
        double value = position.GetProperty("value").GetDouble();
        Assert.Equal(1095 + value, triggers.GetProperty("debit_to_credit_stop").GetDouble(), 1);
        Assert.Equal(0.30, triggers.GetProperty("short_delta_limit").GetDouble());
        Assert.InRange(triggers.GetProperty("max_short_delta").GetDouble(), 0.01, 0.30);
        Assert.Equal("2026-01-30T05:00:00Z", triggers.GetProperty("dte_stop_at").GetString()); // DTE reaches 21 at 00:00 New York on 2026-01-30
        Assert.False(triggers.TryGetProperty("underlying_to_stop", out _)); // no stop level, no such trigger
        // added for the dashboard: whether its rules are paused, and each leg as valued now (open qty signed, mark, IV, mark age)
        Assert.False(position.GetProperty("paused").GetBoolean());
        var legs = position.GetProperty("legs").EnumerateArray().ToList();
        Assert.Equal(["SPY260220P00580000", "SPY260220P00575000"], legs.Select(l => l.GetProperty("symbol").GetString()));
        Assert.Equal([-10L, 10L], legs.Select(l => l.GetProperty("qty").GetInt64()));
        Assert.All(legs, l => Assert.True(l.GetProperty("mark").GetDouble() > 0 && l.GetProperty("iv").GetDouble() is > 0.01 and < 2 && l.GetProperty("quote_age_s").GetDouble() >= 0, l.GetRawText()));
    }
}
