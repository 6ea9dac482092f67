using System.Text.Json;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>The seeds' worst failure was a monitor with nothing to monitor: the pipeline says so, loudly.</summary>
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
}
