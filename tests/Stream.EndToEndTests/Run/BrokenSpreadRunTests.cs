using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Emulator;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer run</c> against the emulator on the expiration day of a put credit spread: Alpaca's 15:30 ET pin-risk
/// liquidation closes the short leg alone (the broker's own order), or the short leg is assigned (shares appear,
/// never on trade_updates). Reconciliation raises <c>broken_spread</c> / <c>assignment</c>, closes the spread in the
/// journal at what happened and applies <c>Alpaca:BrokenSpreadPolicy</c> to the rest; a real nats-server, a real
/// journal, a kill -9 in the middle.
/// </summary>
[Collection(Pipeline.PipelineCollection.Name)]
public sealed class BrokenSpreadRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(40);
    private const string Short580 = "SPY260121P00580000";
    private const string Long575 = "SPY260121P00575000";
    private const string Rest = "SPY-PCS-1.rest";

    private static readonly Dictionary<string, string> Keys = new() { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" };

    /// <summary>Wednesday 2026-01-21 (the puts' expiration) from 15:29:58 ET, 10 s of quotes every 10 ms: SPY 581, 580P 2.30/2.40, 575P 0.80/0.90.</summary>
    private static EmulatorTape Tape()
    {
        var symbols = new SymbolTable();
        int spy = symbols.Intern("SPY"), p580 = symbols.Intern(Short580), p575 = symbols.Intern(Long575);
        long t0 = NanoTime.ParseRfc3339("2026-01-21T20:29:58Z");
        var ticks = new List<Tick>();
        for (int k = 0; k < 1000; k++)
        {
            long t = t0 + k * 10_000_000L;
            ticks.Add(Tick.Quote(t, spy, 581.00, 581.02));
            ticks.Add(Tick.Quote(t, p580, 2.30, 2.40));
            ticks.Add(Tick.Quote(t, p575, 0.80, 0.90));
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private static string[] Args(NatsServerFixture server, TempDirectory dir, AlpacaEmulator emulator, params string[] more) =>
    [
        "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", "--Heartbeat:IntervalSeconds=0.5",
        $"--Alpaca:DataUrl={emulator.DataUrl}", "--Alpaca:MarketClockSpeed=1", $"--Alpaca:TradingUrl={emulator.TradingUrl}",
        "--Alpaca:ReconcileSeconds=0.5", "--Alpaca:DefaultBook=stop_only",
        $"--Positions:File={dir.File("positions.json")}", $"--Books:File={dir.File("books.yaml")}", .. more,
    ];

    private static async Task<AlpacaEmulator> StartAsync(TempDirectory dir, PaperBrokerOptions broker)
    {
        var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S", Broker = broker });
        await emulator.StartAsync();
        emulator.Broker.SetPosition(Short580, -2, 2.10m);
        emulator.Broker.SetPosition(Long575, 2, 0.90m);
        // no rule of these books fires here: whatever closes a leg is the broker's doing
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n  watch:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), $$"""
            { "positions": [
              { "id": "SPY-PCS-1", "book": "stop_only", "stop_underlying": 500.00,
                "legs": [ { "symbol": "{{Short580}}", "qty": -2, "entry_price": 2.10 }, { "symbol": "{{Long575}}", "qty": 2, "entry_price": 0.90 } ] }
            ] }
            """);
        return emulator;
    }

    /// <param name="killAt">kill -9 right after the alert (the close order may be out or not), or the moment the close
    /// order is at the broker (its fill on trade_updates may be lost with the process: the restart reads it from the order)</param>
    [Theory]
    [InlineData("alert")]
    [InlineData("close order")]
    public async Task Pin_risk_liquidation_of_the_short_leg_is_a_broken_spread_whose_rest_is_closed_even_across_a_kill(string killAt)
    {
        using var dir = new TempDirectory();
        await using var emulator = await StartAsync(dir, new PaperBrokerOptions());
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        var args = Args(server, dir, emulator, "--Alpaca:Executor=true"); // close: the default with the executor

        using (var service = StreamerProcess.Start(dir.Path, Keys, args))
        {
            if (killAt == "alert") await service.UntilAsync(() => Alerts(alerts, "broken_spread").Count > 0, "the broken_spread alert", () => Debug(alerts));
            else await Waits.UntilAsync(() => emulator.Broker.Orders().Any(o => o.ClientOrderId.StartsWith("broken-close:", StringComparison.Ordinal)) || service.HasExited, "the close order", Long);
            service.Crash();
        }
        var alert = Assert.Single(Alerts(alerts, "broken_spread"));
        Assert.Equal("SPY-PCS-1", Str(alert, "position_id"));
        Assert.Equal(Short580, Str(alert, "changed"));
        Assert.Equal($"{Short580}:-2:0,{Long575}:2:2", Str(alert, "legs"));
        Assert.Equal($"{Long575}:2", Str(alert, "broker_holds"));
        Assert.Equal(("close", Rest, "stop_only"), (Str(alert, "policy"), Str(alert, "remainder_id"), Str(alert, "book")));
        Assert.Contains("pin-risk", Str(alert, "message"), StringComparison.Ordinal);

        using (var again = StreamerProcess.Start(dir.Path, Keys, args))
        {
            await again.UntilAsync(() => emulator.Broker.Positions().Count == 0 && JournalStatus(dir, Rest) == "closed", "the rest closed at the broker and in the journal",
                () => Debug(alerts) + string.Join("\n", emulator.Broker.Orders().Select(o => $"{o.ClientOrderId} {o.Status}")));
            long passes = RunTestData.ReconcilePasses(beats);
            await again.UntilAsync(() => RunTestData.ReconcilePasses(beats) >= passes + 3, "three more passes");
            again.Terminate();
            Assert.Equal(0, await again.WaitForExitAsync(Long));
        }

        // the broker: its own liquidation of the short leg, and Streamer's one order for the long leg (never two)
        var orders = emulator.Broker.Orders();
        Assert.Equal(2, orders.Count);
        var liquidation = Assert.Single(orders, o => o.ClientOrderId.StartsWith("liquidation-", StringComparison.Ordinal));
        Assert.Equal(("simple", "filled", 2L, Short580, "buy", "buy_to_close"), (liquidation.OrderClass, liquidation.Status, liquidation.FilledQty, liquidation.Legs[0].Symbol, liquidation.Legs[0].Side, liquidation.Legs[0].PositionIntent));
        Assert.Equal(2.40m, liquidation.FilledAvgPrice);
        var close = Assert.Single(orders, o => o.ClientOrderId == $"broken-close:{Rest}/{Long575}");
        Assert.Equal(("filled", 2L, Long575, "sell", "sell_to_close"), (close.Status, close.FilledQty, close.Legs[0].Symbol, close.Legs[0].Side, close.Legs[0].PositionIntent));
        Assert.Equal(0.80m, close.FilledAvgPrice);

        // the journal: the spread closed with the liquidation's loss (2 × (2.40 − 2.10) × 100), the rest with the long leg's (2 × (0.80 − 0.90) × 100)
        Assert.Equal("closed", JournalStatus(dir, "SPY-PCS-1"));
        Assert.Equal(-60, RealizedPnl(dir, "SPY-PCS-1"), 6);
        Assert.Equal(-20, RealizedPnl(dir, Rest), 6);
        var definition = JsonDocument.Parse(Query(dir, $"SELECT definition_json FROM positions WHERE id = '{Rest}'")[0][0]).RootElement;
        Assert.Equal("stop_only", Str(definition, "book"));
        Assert.Equal([(Long575, 2L, 0.90)], definition.GetProperty("legs").EnumerateArray().Select(l => (Str(l, "symbol"), l.GetProperty("qty").GetInt64(), l.GetProperty("entry_price").GetDouble())));
        Assert.Equal([[$"broken-close:{Rest}/{Long575}", "filled"]], Query(dir, "SELECT exit_id, status FROM exit_orders"));
        // every fill once: the liquidation (trade_updates), the spread's closing transfer, the rest's opening, the close order's fill
        var fills = Query(dir, "SELECT position_id, symbol, qty, price FROM fills ORDER BY ord");
        Assert.Equal(4, fills.Count);
        Assert.Equal(["SPY-PCS-1", Short580, "2", "2.4"], fills[0]);
        Assert.Equal(["SPY-PCS-1", Long575, "-2", "0.9"], fills[1]);
        Assert.Equal([Rest, Long575, "2", "0.9"], fills[2]);
        Assert.Equal([Rest, Long575, "-2", "0.8"], fills[3]);
        Assert.Single(Alerts(alerts, "broken_spread")); // the restart found nothing more to say
        Assert.Empty(Alerts(alerts, "order_failed"));
        Assert.Empty(Alerts(alerts, "unmonitored"));
        Assert.Empty(Alerts(alerts, "position_mismatch"));
        Assert.Empty(Alerts(alerts, "rejected_input"));
    }

    [Fact]
    public async Task Pin_risk_liquidation_with_the_monitor_policy_leaves_the_long_leg_monitored_under_its_book()
    {
        using var dir = new TempDirectory();
        await using var emulator = await StartAsync(dir, new PaperBrokerOptions());
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        var args = Args(server, dir, emulator, "--Alpaca:BrokenSpreadPolicy=monitor", "--Alpaca:BrokenSpreadBook=watch");
        string log = "";
        for (int run = 0; run < 2; run++)
        {
            using var service = StreamerProcess.Start(dir.Path, Keys, args);
            if (run == 0) await service.UntilAsync(() => JournalStatus(dir, Rest) == "open" && JournalStatus(dir, "SPY-PCS-1") == "closed", "the rest monitored", () => Debug(alerts));
            long passes = RunTestData.ReconcilePasses(beats);
            await service.UntilAsync(() => RunTestData.ReconcilePasses(beats) >= passes + 3, "three more passes");
            Assert.Contains(beats.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement), b => b.GetProperty("positions_monitored").GetInt32() == 1);
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
            log += service.Output;
            log += "\nJOURNAL: " + string.Join("\n", Query(dir, "SELECT id, status, definition_json FROM positions").Select(r => string.Join(" | ", r)))
                + "\n" + string.Join("\n", Query(dir, "SELECT position_id, state_json FROM position_state").Select(r => string.Join(" | ", r)))
                + "\n" + string.Join("\n", Query(dir, "SELECT id, position_id, qty, price, ord, disposition FROM fills").Select(r => string.Join(" | ", r))) + "\n";
        }
        Assert.True(Alerts(alerts, "unmonitored").Count == 0, log);
        var alert = Assert.Single(Alerts(alerts, "broken_spread")); // the second run has nothing to say
        Assert.Equal(("monitor", Rest, "watch"), (Str(alert, "policy"), Str(alert, "remainder_id"), Str(alert, "book")));
        // the broker keeps the long leg; Streamer sent nothing
        Assert.Equal([(Long575, 2L)], emulator.Broker.Positions().Select(p => (p.Symbol, p.Qty)));
        Assert.Single(emulator.Broker.Orders());
        Assert.Equal(-60, RealizedPnl(dir, "SPY-PCS-1"), 6);
        var definition = JsonDocument.Parse(Query(dir, $"SELECT definition_json FROM positions WHERE id = '{Rest}'")[0][0]).RootElement;
        Assert.Equal("watch", Str(definition, "book"));
        Assert.Equal("open", JournalStatus(dir, Rest));
        Assert.Empty(Alerts(alerts, "unmonitored"));
        Assert.Empty(Alerts(alerts, "position_mismatch"));
    }

    [Fact]
    public async Task An_assignment_of_the_short_leg_names_the_shares_now_held_and_the_rest_is_closed()
    {
        using var dir = new TempDirectory();
        // assigned at 15:29:59 ET, before the risk desk would have bought it back
        await using var emulator = await StartAsync(dir, new PaperBrokerOptions { Assignments = [ForcedAssignment.Parse($"{Short580}@2026-01-21T20:29:59Z")] });
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator, "--Alpaca:Executor=true", "--Alpaca:BrokenSpreadPolicy=close")))
        {
            await service.UntilAsync(() => emulator.Broker.Positions().Count == 0 && JournalStatus(dir, Rest) == "closed", "the rest closed",
                () => Debug(alerts) + string.Join("\n", emulator.Broker.Orders().Select(o => $"{o.ClientOrderId} {o.Status}")));
            long passes = RunTestData.ReconcilePasses(beats);
            await service.UntilAsync(() => RunTestData.ReconcilePasses(beats) >= passes + 3, "three more passes");
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        Assert.True(Alerts(alerts, "assignment").Count == 1, Debug(alerts));
        var alert = Alerts(alerts, "assignment")[0];
        Assert.Empty(Alerts(alerts, "broken_spread"));
        Assert.Equal("SPY-PCS-1", Str(alert, "position_id"));
        Assert.Equal("SPY:200@580", Str(alert, "stock"));
        Assert.Equal($"{Long575}:2,SPY:200", Str(alert, "broker_holds"));
        Assert.Contains("assigned", Str(alert, "message"), StringComparison.Ordinal);
        var activity = Assert.Single(emulator.Broker.Activities(), a => a.ActivityType == "OPASN");
        Assert.Equal((Short580, -2L, 580m), (activity.Symbol, activity.Qty, activity.Price));

        // Streamer's orders: one per leg of the rest (shares and the long put), no liquidation (nothing short was left)
        var orders = emulator.Broker.Orders();
        Assert.Equal([$"broken-close:{Rest}/SPY", $"broken-close:{Rest}/{Long575}"], orders.Select(o => o.ClientOrderId).Order(StringComparer.Ordinal));
        Assert.All(orders, o => Assert.Equal("filled", o.Status));
        // the spread keeps its premium (2 × 2.10 × 100: the put became shares at the strike); the rest: 200 × (581.00 − 580) + 2 × (0.80 − 0.90) × 100
        Assert.Equal(420, RealizedPnl(dir, "SPY-PCS-1"), 6);
        Assert.Equal(180, RealizedPnl(dir, Rest), 6);
        Assert.Empty(Alerts(alerts, "unmonitored"));
        Assert.Empty(Alerts(alerts, "position_mismatch"));
        Assert.Empty(Alerts(alerts, "order_failed"));
    }

    [Fact]
    public async Task A_covered_call_assigned_closes_at_the_strike_with_its_premium_kept_and_nothing_left()
    {
        const string Call580 = "SPY260121C00580000";
        using var dir = new TempDirectory();
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions
        {
            Speed = 1, Loop = true, Key = "K", Secret = "S",
            Broker = new PaperBrokerOptions { Assignments = [ForcedAssignment.Parse($"{Call580}@2026-01-21T20:29:59Z")] },
        });
        await emulator.StartAsync();
        emulator.Broker.SetPosition("SPY", 200, 570m);
        emulator.Broker.SetPosition(Call580, -2, 3.00m);
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), $$"""
            { "positions": [
              { "id": "CC-1", "book": "stop_only", "stop_underlying": 500.00,
                "legs": [ { "symbol": "SPY", "qty": 200, "entry_price": 570.00 }, { "symbol": "{{Call580}}", "qty": -2, "entry_price": 3.00 } ] }
            ] }
            """);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator, "--Alpaca:Executor=true", "--Alpaca:BrokenSpreadPolicy=close")))
        {
            await service.UntilAsync(() => emulator.Broker.Positions().Count == 0 && JournalStatus(dir, "CC-1") == "closed" && Alerts(alerts, "assignment").Count == 1,
                "the covered call closed by its assignment", () => Debug(alerts));
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        var alert = Alerts(alerts, "assignment")[0];
        Assert.Empty(Alerts(alerts, "broken_spread"));
        Assert.Contains("SPY 200 → 0 (delivered at 580)", Str(alert, "message"), StringComparison.Ordinal);
        Assert.Contains($"{Call580} -2 → 0 (assigned)", Str(alert, "message"), StringComparison.Ordinal);
        Assert.Equal("nothing remains", Str(alert, "policy"));
        Assert.Null(JournalStatus(dir, "CC-1.rest"));
        Assert.Empty(emulator.Broker.Orders()); // nothing was left to close
        // the shares went at the strike: 200 × (580 − 570); the calls' premium is kept: 2 × 3.00 × 100
        Assert.Equal(2600, RealizedPnl(dir, "CC-1"), 6);
        Assert.Empty(Alerts(alerts, "unmonitored"));
        Assert.Empty(Alerts(alerts, "position_mismatch"));
    }

    [Theory]
    [InlineData("--Alpaca:BrokenSpreadPolicy=close", "Alpaca:BrokenSpreadPolicy: close needs Alpaca:Executor=true")]
    [InlineData("--Alpaca:BrokenSpreadPolicy=sell", "Alpaca:BrokenSpreadPolicy: 'sell' is not close or monitor")]
    [InlineData("--Alpaca:BrokenSpreadBook=nope", "Alpaca:BrokenSpreadBook: unknown book 'nope'")]
    public async Task Bad_broken_spread_settings_are_refused_at_start_naming_the_key(string setting, string message)
    {
        using var dir = new TempDirectory();
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Alpaca:TradingUrl=http://127.0.0.1:1", setting);
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    private static string Debug(Collector alerts) => string.Join("\n", alerts.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Data)));

    private static string? JournalStatus(TempDirectory dir, string id)
    {
        try
        {
            return Query(dir, $"SELECT status FROM positions WHERE id = '{id}'").FirstOrDefault()?[0];
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    private static double RealizedPnl(TempDirectory dir, string id) =>
        JsonDocument.Parse(Query(dir, $"SELECT state_json FROM position_state WHERE position_id = '{id}'")[0][0]).RootElement.GetProperty("realized_pnl").GetDouble();


    private static List<JsonElement> Alerts(Collector alerts, string kind) =>
        [.. alerts.Messages.Where(m => m.Subject == NatsSubjects.Alerts(kind)).Select(m => JsonDocument.Parse(m.Data).RootElement)];

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string[]> Query(TempDirectory dir, string sql)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = dir.File("j.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var db = new SqliteConnection(cs);
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = sql;
        using var r = c.ExecuteReader();
        var rows = new List<string[]>();
        while (r.Read())
        {
            var row = new string[r.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture) ?? "";
            rows.Add(row);
        }
        return rows;
    }
}
