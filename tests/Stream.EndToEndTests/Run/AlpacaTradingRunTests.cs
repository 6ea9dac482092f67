using System.Text.Json;
using Microsoft.Data.Sqlite;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Emulator;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Feed.Alpaca;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer run</c> with <c>Alpaca:DataUrl</c> + <c>Alpaca:TradingUrl</c> + the executor against the
/// in-repo emulator (market data and paper broker on loopback), a real nats-server and a real journal:
/// exits become orders, the broker's fills come back on trade_updates, and reconciliation adopts what
/// nobody monitors and closes out what the broker does not hold.
/// </summary>
[Collection(Pipeline.PipelineCollection.Name)]
public sealed class AlpacaTradingRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(40);
    private const string Short580 = "SPY300118P00580000";
    private const string Long575 = "SPY300118P00575000";

    private static readonly Dictionary<string, string> Keys = new() { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" };

    /// <summary>AAPL 200.00 → 197.01 and SPY 600.00 → 597.01 in 10 ms steps, the two puts and MSFT quoted at every step, looping.</summary>
    private static EmulatorTape Tape()
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL"), spy = symbols.Intern("SPY"), msft = symbols.Intern("MSFT");
        int p580 = symbols.Intern(Short580), p575 = symbols.Intern(Long575);
        long t0 = NanoTime.ParseRfc3339("2026-01-21T15:00:00Z");
        var ticks = new List<Tick>();
        for (int k = 0; k < 300; k++)
        {
            long t = t0 + k * 10_000_000L;
            ticks.Add(Tick.Quote(t, aapl, 200 - k * 0.01, 200.02 - k * 0.01));
            ticks.Add(Tick.Quote(t, spy, 600 - k * 0.01, 600.02 - k * 0.01));
            ticks.Add(Tick.Quote(t, p580, 2.00, 2.10));
            ticks.Add(Tick.Quote(t, p575, 0.80, 0.90));
            ticks.Add(Tick.Quote(t, msft, 400.00, 400.02));
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private static string[] Args(NatsServerFixture server, TempDirectory dir, AlpacaEmulator emulator) =>
    [
        "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", "--Heartbeat:IntervalSeconds=0.5",
        $"--Alpaca:DataUrl={emulator.DataUrl}", "--Alpaca:MarketClockSpeed=1", $"--Alpaca:TradingUrl={emulator.TradingUrl}", "--Alpaca:Executor=true",
        "--Alpaca:ReconcileSeconds=1", "--Alpaca:DefaultBook=stop_only",
        $"--Positions:File={dir.File("positions.json")}", $"--Books:File={dir.File("books.yaml")}",
    ];

    [Fact]
    public async Task Exits_are_executed_at_the_broker_and_positions_are_reconciled()
    {
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        // the broker: what the positions file monitors (AAPL, the spread), MSFT that nobody monitors; no TSLA although TSLA-1 is monitored
        emulator.Broker.SetPosition("AAPL", 100, 200m);
        emulator.Broker.SetPosition(Short580, -2, 2.10m);
        emulator.Broker.SetPosition(Long575, 2, 0.90m);
        emulator.Broker.SetPosition("MSFT", 50, 400m);

        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), $$"""
            { "positions": [
              { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] },
              { "id": "SPY-PCS-1", "book": "stop_only", "stop_underlying": 598.00,
                "legs": [ { "symbol": "{{Short580}}", "qty": -2, "entry_price": 2.10 }, { "symbol": "{{Long575}}", "qty": 2, "entry_price": 0.90 } ] },
              { "id": "TSLA-1", "book": "stop_only", "stop_underlying": 1.00, "legs": [ { "symbol": "TSLA", "qty": 10, "entry_price": 300 } ] }
            ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var reported = new Collector(bus, "streamer.executions.reported");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        Func<string> debug = () => string.Join("\n", beats.Messages.TakeLast(2).Select(m => System.Text.Encoding.UTF8.GetString(m.Data))) + "\n" + string.Join("\n", alerts.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Data)));

        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator)))
        {
            // both stops fire on streamed quotes; the executor's orders fill at the paper broker; the reports come back
            await service.UntilAsync(() => reported.Count >= 2, "both exits executed and reported", debug);
            Assert.False(service.HasExited, service.Output);
            // TSLA-1 (the broker holds none) is closed out after two passes; MSFT adopted on the first
            await service.UntilAsync(() => Alerts(alerts, "position_mismatch").Any(a => Str(a, "position_id") == "TSLA-1"), "TSLA-1 flagged");
            await service.UntilAsync(() => Alerts(alerts, "unmonitored").Any(a => Str(a, "symbol") == "MSFT"), "MSFT adopted");
            // the heartbeat says so too
            await service.UntilAsync(() => beats.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).Any(b =>
                b.TryGetProperty("alpaca_trading", out var t) && Str(t, "trade_updates") == "listening" && t.GetProperty("orders_filled").GetInt64() == 2
                && t.GetProperty("orders_working").GetInt64() == 0 && t.GetProperty("adopted").GetInt64() == 1 && t.GetProperty("closed_out").GetInt64() == 1
                && t.GetProperty("fills_received").GetInt64() == 3 && t.GetProperty("last_reconcile_age_s").GetDouble() < 5), "a heartbeat with the trading counters");
            await TwoMorePassesAsync(service, beats, debug); // nothing else may happen in them
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));

            var exitIds = exits.Messages.Select(m => ExitId.Read(m.Data)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["AAPL-1:1", "SPY-PCS-1:1"], exitIds);

            // one order per exit, keyed by the exit id; the spread closed as one mleg, never leg by leg
            var orders = emulator.Broker.Orders();
            Assert.Equal(2, orders.Count);
            var aaplOrder = Assert.Single(orders, o => o.ClientOrderId == "AAPL-1:1");
            Assert.Equal(("simple", "filled", 100L), (aaplOrder.OrderClass, aaplOrder.Status, aaplOrder.Qty));
            Assert.Equal(("AAPL", "sell", "sell_to_close"), (aaplOrder.Legs[0].Symbol, aaplOrder.Legs[0].Side, aaplOrder.Legs[0].PositionIntent));
            var spreadOrder = Assert.Single(orders, o => o.ClientOrderId == "SPY-PCS-1:1");
            Assert.Equal(("mleg", "filled", 2L), (spreadOrder.OrderClass, spreadOrder.Status, spreadOrder.Qty));
            Assert.Equal([(Short580, "buy", "buy_to_close", 1), (Long575, "sell", "sell_to_close", 1)],
                spreadOrder.Legs.Select(l => (l.Symbol, l.Side, l.PositionIntent, l.RatioQty)).OrderBy(l => l.Symbol, StringComparer.Ordinal).Reverse());

            // the broker is flat where the exits closed; MSFT stays (adopted, monitored now)
            var held = emulator.Broker.Positions().ToDictionary(p => p.Symbol, p => p.Qty);
            Assert.Equal(new Dictionary<string, long> { ["MSFT"] = 50 }, held);

            // the reports name exit, order and legs
            var reports = reported.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).ToDictionary(r => Str(r, "exit_id")!);
            Assert.Equal(aaplOrder.Id, Str(reports["AAPL-1:1"], "order_id"));
            Assert.Equal(-100, reports["AAPL-1:1"].GetProperty("legs")[0].GetProperty("qty").GetDecimal());
            Assert.Equal("mleg", Str(reports["SPY-PCS-1:1"], "order_class"));
            Assert.Equal(2, reports["SPY-PCS-1:1"].GetProperty("legs").GetArrayLength());

            // alerts: MSFT adopted (once), TSLA-1 closed out; no unmonitored alert for the exits' own fills, no order failures
            var adopted = Assert.Single(Alerts(alerts, "unmonitored"), a => Str(a, "symbol") == "MSFT");
            Assert.Equal("50", Str(adopted, "adopted_qty"));
            Assert.Equal("alpaca-MSFT", Str(adopted, "position_id"));
            Assert.DoesNotContain(Alerts(alerts, "unmonitored"), a => Str(a, "position_id") is "AAPL-1" or "SPY-PCS-1");
            Assert.Empty(Alerts(alerts, "order_failed"));
            Assert.Empty(Alerts(alerts, "rejected_input")); // no fill came twice
            Assert.Equal(["TSLA-1"], Alerts(alerts, "position_mismatch").Select(a => Str(a, "position_id")).Distinct());
        }

        // the journal: fills of the exits' orders carry the exit ids; positions open/closed as reconciled; each exit's order filled
        var journal = dir.File("j.db");
        var fills = Query(journal, "SELECT position_id, symbol, qty, json_extract(raw_json, '$.exit_id') FROM fills ORDER BY position_id, symbol");
        Assert.Equal(
            [
                ["AAPL-1", "AAPL", "-100", "AAPL-1:1"],
                ["SPY-PCS-1", Long575, "-2", "SPY-PCS-1:1"],
                ["SPY-PCS-1", Short580, "2", "SPY-PCS-1:1"],
            ],
            fills);
        Assert.Equal([["AAPL-1:1", "filled", "1"], ["SPY-PCS-1:1", "filled", "1"]], Query(journal, "SELECT exit_id, status, attempts FROM exit_orders ORDER BY exit_id"));
        var status = Query(journal, "SELECT id, status FROM positions ORDER BY id").ToDictionary(r => r[0], r => r[1]);
        Assert.Equal("closed", status["TSLA-1"]);
        Assert.Equal("closed", status["AAPL-1"]);
        Assert.Equal("closed", status["SPY-PCS-1"]);
        Assert.Equal("open", status["alpaca-MSFT"]);
        var definition = JsonDocument.Parse(Query(journal, "SELECT definition_json FROM positions WHERE id = 'alpaca-MSFT'")[0][0]).RootElement;
        Assert.Equal("stop_only", Str(definition, "book"));
        Assert.Equal(50, definition.GetProperty("legs")[0].GetProperty("qty").GetInt64());
        Assert.Equal(400m, definition.GetProperty("legs")[0].GetProperty("entry_price").GetDecimal());

        // a restart on the same journal: no order is sent again, nothing is adopted or closed out again
        int alertsBefore = alerts.Count;
        using (var again = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator)))
        {
            await again.UntilAsync(() => CountOf(again.Output, "reconciled:") >= 3, "three reconciliation passes after the restart");
            Assert.False(again.HasExited, again.Output);
            again.Terminate();
            Assert.Equal(0, await again.WaitForExitAsync(Long));
            Assert.Equal(2, emulator.Broker.Orders().Count);
            Assert.DoesNotContain(alerts.Messages.Skip(alertsBefore), m => m.Subject is "streamer.alerts.unmonitored" or "streamer.alerts.position_mismatch" or "streamer.alerts.order_failed");
            Assert.Contains("adopted 0, closed out 0", again.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Exit_orders_filled_in_pieces_are_journaled_piece_by_piece_and_reported_once()
    {
        // the paper broker fills at most the displayed size (1-3) per quote: the 100 shares and the 2-lot spread fill in pieces
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions
        {
            Speed = 1, Loop = true, Key = "K", Secret = "S", QuoteSize = (1, 3), Broker = new PaperBrokerOptions { PartialFills = true },
        });
        await emulator.StartAsync();
        emulator.Broker.SetPosition("AAPL", 100, 200m);
        emulator.Broker.SetPosition(Short580, -2, 2.10m);
        emulator.Broker.SetPosition(Long575, 2, 0.90m);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), $$"""
            { "positions": [
              { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] },
              { "id": "SPY-PCS-1", "book": "stop_only", "stop_underlying": 598.00,
                "legs": [ { "symbol": "{{Short580}}", "qty": -2, "entry_price": 2.10 }, { "symbol": "{{Long575}}", "qty": 2, "entry_price": 0.90 } ] }
            ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var reported = new Collector(bus, "streamer.executions.reported");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator)))
        {
            await service.UntilAsync(() => reported.Count >= 2, "both exits executed and reported");
            await TwoMorePassesAsync(service, beats, () => ""); // a late piece or a second report would show by then
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        Assert.Empty(emulator.Broker.Positions());
        Assert.Equal(2, reported.Count);
        var reports = reported.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).ToDictionary(r => Str(r, "exit_id")!);
        Assert.Equal(100m, reports["AAPL-1:1"].GetProperty("qty").GetDecimal());
        Assert.Equal(2m, reports["SPY-PCS-1:1"].GetProperty("qty").GetDecimal());

        var fills = Query(dir.File("j.db"), "SELECT position_id, symbol, qty, exit_id, id FROM fills");
        Assert.All(fills, f => Assert.Equal(f[0] + ":1", f[3])); // every piece confirms its exit
        Assert.Equal(fills.Count, fills.Select(f => f[4]).Distinct().Count());
        var aapl = fills.Where(f => f[1] == "AAPL").ToList();
        Assert.True(aapl.Count >= 2, $"the 100 shares filled in pieces: {aapl.Count}");
        Assert.Equal(-100, aapl.Sum(f => double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(2, fills.Where(f => f[1] == Short580).Sum(f => double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(-2, fills.Where(f => f[1] == Long575).Sum(f => double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([["AAPL-1:1", "filled", "1"], ["SPY-PCS-1:1", "filled", "1"]], Query(dir.File("j.db"), "SELECT exit_id, status, attempts FROM exit_orders ORDER BY exit_id"));
        Assert.Empty(Alerts(alerts, "order_failed"));
        Assert.Empty(Alerts(alerts, "rejected_input"));
        Assert.Empty(Alerts(alerts, "position_mismatch"));
    }

    [Fact]
    public async Task A_refused_or_unfilled_exit_order_is_retried_then_given_up_loudly()
    {
        const string call = "SPY300118C00600000"; // never quoted: a market order for it cannot fill
        // MSFT orders are accepted, then rejected on trade_updates
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions
        {
            Speed = 1, Loop = true, Key = "K", Secret = "S", Broker = new PaperBrokerOptions { RejectAsyncSymbols = new HashSet<string> { "MSFT" } },
        });
        await emulator.StartAsync();
        emulator.Broker.SetPosition(call, 1, 3.00m); // held; AAPL is not: selling it to close is refused (403)
        emulator.Broker.SetPosition("MSFT", 50, 400m);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), $$"""
            { "positions": [
              { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] },
              { "id": "SPY-C-1", "book": "stop_only", "stop_underlying": 598.00, "legs": [ { "symbol": "{{call}}", "qty": 1, "entry_price": 3.00 } ] },
              { "id": "MSFT-1", "book": "stop_only", "stop_underlying": 401.00, "legs": [ { "symbol": "MSFT", "qty": 50, "entry_price": 400 } ] }
            ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var reported = new Collector(bus, "streamer.executions.reported");
        string[] args =
        [
            .. Args(server, dir, emulator).Where(a => !a.StartsWith("--Alpaca:ReconcileSeconds", StringComparison.Ordinal)),
            "--Alpaca:ReconcileSeconds=0", "--Alpaca:OrderRetries=1", "--Alpaca:OrderTimeoutSeconds=1", "--Alpaca:RetryBackoffSeconds=0.2",
        ];
        using var service = StreamerProcess.Start(dir.Path, Keys, args);
        bool GaveUp(string exit) => Alerts(alerts, "order_failed").Any(a => Str(a, "exit_id") == exit && Str(a, "final") == "true");
        await service.UntilAsync(() => GaveUp("AAPL-1:1") && GaveUp("SPY-C-1:1") && GaveUp("MSFT-1:1"), "the three exits given up");
        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));

        var failed = Alerts(alerts, "order_failed");
        // each: one retry announced, then the final alert naming the flagged position
        foreach (var (exit, position, why) in new[] { ("AAPL-1:1", "AAPL-1", "refused (403"), ("SPY-C-1:1", "SPY-C-1", "not filled within 1 s"), ("MSFT-1:1", "MSFT-1", "rejected") })
        {
            var mine = failed.Where(a => Str(a, "exit_id") == exit).ToList();
            Assert.Equal(2, mine.Count);
            Assert.Contains(why, Str(mine[0], "message"), StringComparison.Ordinal);
            Assert.Equal(("1", null), (Str(mine[0], "attempts"), Str(mine[0], "final")));
            Assert.Contains("GAVE UP after 2 attempts", Str(mine[1], "message"), StringComparison.Ordinal);
            Assert.Contains($"position '{position}' is flagged", Str(mine[1], "message"), StringComparison.Ordinal);
        }
        Assert.Equal(0, reported.Count);
        // the refused AAPL orders never existed; the call's two orders (the exit id, then the retry's) were canceled; it is still held
        var orders = emulator.Broker.Orders();
        Assert.Equal([("MSFT-1:1", "rejected"), ("MSFT-1:1#2", "rejected"), ("SPY-C-1:1", "canceled"), ("SPY-C-1:1#2", "canceled")], orders.Select(o => (o.ClientOrderId, o.Status)).Order());
        Assert.Equal(1, emulator.Broker.Position(call)!.Qty);
        Assert.Equal(50, emulator.Broker.Position("MSFT")!.Qty);
        Assert.Equal(
            [["AAPL-1:1", "failed", "2", "AAPL-1:1#2"], ["MSFT-1:1", "failed", "2", "MSFT-1:1#2"], ["SPY-C-1:1", "failed", "2", "SPY-C-1:1#2"]],
            Query(dir.File("j.db"), "SELECT exit_id, status, attempts, client_order_id FROM exit_orders ORDER BY exit_id"));
    }

    [Fact]
    public async Task Fills_from_orders_placed_elsewhere_feed_the_holder_or_open_positions()
    {
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        emulator.Broker.SetPosition("AAPL", 100, 200m);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), """{ "positions": [ { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 1.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] } ] }""");
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        string[] args =
        [
            .. Args(server, dir, emulator).Where(a => !a.StartsWith("--Alpaca:ReconcileSeconds", StringComparison.Ordinal) && !a.StartsWith("--Alpaca:Executor", StringComparison.Ordinal)),
            "--Alpaca:ReconcileSeconds=1",
        ];
        using var service = StreamerProcess.Start(dir.Path, Keys, args);
        // quotes flow (the broker fills market orders against them) and the start's reconciliation is done
        await service.UntilAsync(() => CountOf(service.Output, "reconciled:") >= 1 && beats.Messages.Any(b => JsonDocument.Parse(b.Data).RootElement.GetProperty("ticks_total").GetInt64() > 0), "live and reconciled");

        // someone else trades on the account: a stock nobody monitors, an mleg spread nobody monitors, part of the monitored AAPL
        using var http = new HttpClient();
        var client = new Streamer.Stream.Alpaca.Trading.AlpacaTradingClient(http, emulator.TradingUrl, new Streamer.Feed.Alpaca.AlpacaCredentials("K", "S"));
        await client.SubmitOrderAsync(new([new("MSFT", "buy", "buy_to_open")], 10, null, "manual-msft"));
        await client.SubmitOrderAsync(new([new(Short580, "sell", "sell_to_open"), new(Long575, "buy", "buy_to_open")], 2, null, "manual-spread"));
        await client.SubmitOrderAsync(new([new("AAPL", "sell", "sell_to_close")], 20, null, "manual-aapl"));
        await service.UntilAsync(() => JournalCount(dir.File("j.db"), "SELECT COUNT(*) FROM fills") >= 4 && JournalCount(dir.File("j.db"), "SELECT COUNT(*) FROM positions WHERE status = 'open'") >= 3, "four fills journaled, two positions opened");
        // then the broker and the engine agree (AAPL-1 resized to 80, the new positions as held): passes find nothing to fix
        int passes = CountOf(service.Output, "reconciled:");
        await service.UntilAsync(() => CountOf(service.Output, "reconciled:") >= passes + 3, "three more reconciliation passes");
        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));

        var journal = dir.File("j.db");
        Assert.Equal(
            [
                ["AAPL-1", "AAPL", "-20", "manual-aapl"],
                ["alpaca-MSFT", "MSFT", "10", "manual-msft"],
                ["alpaca-SPY", Long575, "2", "manual-spread"],
                ["alpaca-SPY", Short580, "-2", "manual-spread"],
            ],
            Query(journal, "SELECT position_id, symbol, qty, json_extract(raw_json, '$.client_order_id') FROM fills ORDER BY position_id, symbol"));
        var open = Query(journal, "SELECT id, definition_json FROM positions WHERE status = 'open' ORDER BY id").ToDictionary(r => r[0], r => JsonDocument.Parse(r[1]).RootElement);
        Assert.Equal(["AAPL-1", "alpaca-MSFT", "alpaca-SPY"], open.Keys);
        // the stock opened from its fill (one leg, the fill's price, Alpaca:DefaultBook); the spread adopted whole, both legs at their fill prices;
        // AAPL-1 resized by the sale (the intake applies fills to the holder: 100 → 80)
        Assert.Equal("stop_only", Str(open["alpaca-MSFT"], "book"));
        Assert.Equal((10, 400.02m), (open["alpaca-MSFT"].GetProperty("legs")[0].GetProperty("qty").GetInt64(), open["alpaca-MSFT"].GetProperty("legs")[0].GetProperty("entry_price").GetDecimal()));
        Assert.Equal([(Short580, -2L, 2.00m), (Long575, 2L, 0.90m)],
            open["alpaca-SPY"].GetProperty("legs").EnumerateArray().Select(l => (l.GetProperty("symbol").GetString(), l.GetProperty("qty").GetInt64(), l.GetProperty("entry_price").GetDecimal())));
        // opened from fills like any execution for an unknown position: no unmonitored alert, nothing rejected
        Assert.Empty(Alerts(alerts, "unmonitored"));
        Assert.Empty(Alerts(alerts, "rejected_input"));
        Assert.Empty(Alerts(alerts, "position_mismatch"));
    }

    [Fact]
    public async Task An_order_sent_before_a_crash_is_found_by_its_client_order_id_not_sent_again()
    {
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        emulator.Broker.SetPosition("AAPL", 100, 200m);
        emulator.Broker.OnQuote("AAPL", 199.00, 199.02);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), """{ "positions": [] }""");
        // the crashed run: executor on, exit OLD-1:1 journaled, its order row written (pending), the order sent and filled — then the crash
        using (var journal = Streamer.Stream.Journal.JournalDatabase.Open(dir.File("j.db")))
        {
            Assert.Equal(0, journal.Orders.ExecutorStartOrd());
            var payload = System.Text.Encoding.UTF8.GetBytes("""{"id":"OLD-1:1","position_id":"OLD-1","underlying":"AAPL","legs":[{"symbol":"AAPL","qty":-100,"mark":199.01}]}""");
            journal.Exits.RecordExitDecided(new Streamer.Stream.Pipeline.PendingExit("OLD-1:1", "OLD-1", 1, NatsSubjects.Exits("AAPL"), payload, 1));
            journal.Orders.SaveExitOrder(new Streamer.Stream.Journal.ExitOrderRecord("OLD-1:1", "OLD-1", "OLD-1:1", null, Streamer.Stream.Journal.ExitOrderStatus.Pending, 1, null), 1);
            // and one the executor never saw (no row: decided while it was not running): not traded late, flagged
            var unseen = System.Text.Encoding.UTF8.GetBytes("""{"id":"OLD-2:1","position_id":"OLD-2","underlying":"MSFT","legs":[{"symbol":"MSFT","qty":-5,"mark":400}]}""");
            journal.Exits.RecordExitDecided(new Streamer.Stream.Pipeline.PendingExit("OLD-2:1", "OLD-2", 1, NatsSubjects.Exits("MSFT"), unseen, 2));
        }
        using (var http = new HttpClient())
        {
            var client = new Streamer.Stream.Alpaca.Trading.AlpacaTradingClient(http, emulator.TradingUrl, new Streamer.Feed.Alpaca.AlpacaCredentials("K", "S"));
            var sent = await client.SubmitOrderAsync(Streamer.Stream.Alpaca.Trading.ExitOrders.Build("OLD-1:1", [("AAPL", -100)]));
            Assert.Equal("filled", sent.Status);
        }
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var reported = new Collector(bus, "streamer.executions.reported");
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        // the base as Alpaca's docs write it, with /v2: the same
        string[] args = [.. Args(server, dir, emulator).Select(a => a.StartsWith("--Alpaca:TradingUrl=", StringComparison.Ordinal) ? $"--Alpaca:TradingUrl={emulator.TradingUrl}v2/" : a)];
        using (var service = StreamerProcess.Start(dir.Path, Keys, args))
        {
            // the order_failed alert is raised at start, before NATS may be connected: held back, it still arrives
            await service.UntilAsync(() => reported.Count >= 1 && Alerts(alerts, "order_failed").Count > 0, "the found order reported, the unseen exit flagged");
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        var order = Assert.Single(emulator.Broker.Orders()); // not sent again
        var report = JsonDocument.Parse(reported.Messages[0].Data).RootElement;
        Assert.Equal(("OLD-1:1", order.Id, "filled"), (Str(report, "exit_id"), Str(report, "order_id"), Str(report, "status")));
        Assert.Equal([["OLD-1:1", "filled", order.Id, "1"], ["OLD-2:1", "failed", "", "0"]], Query(dir.File("j.db"), "SELECT exit_id, status, order_id, attempts FROM exit_orders ORDER BY exit_id"));
        // its fill, missed on trade_updates (nobody listened), journaled from the broker's order with the exit id
        Assert.Equal([[$"alpaca:{order.Id}:100", "OLD-1", "-100", "OLD-1:1"]], Query(dir.File("j.db"), "SELECT id, position_id, qty, exit_id FROM fills"));
        var flagged = Assert.Single(Alerts(alerts, "order_failed"));
        Assert.Equal(("OLD-2:1", "true"), (Str(flagged, "exit_ids"), Str(flagged, "final")));
        Assert.Contains("NOT traded", Str(flagged, "message"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Alpaca:TradingUrl=ftp://127.0.0.1:1", "Alpaca:TradingUrl")]
    [InlineData("--Alpaca:ReconcileSeconds=-1", "Alpaca:ReconcileSeconds")]
    [InlineData("--Alpaca:Executor=maybe", "Alpaca:Executor")]
    [InlineData("--Alpaca:DefaultBook=nope", "Alpaca:DefaultBook")]
    [InlineData("--Alpaca:OrderRetries=1.5", "Alpaca:OrderRetries")]
    [InlineData("--Alpaca:OrderTimeoutSeconds=0", "Alpaca:OrderTimeoutSeconds")]
    [InlineData("--Alpaca:OrderType=stop", "Alpaca:OrderType")]
    [InlineData("--Alpaca:LimitFinalMarket=maybe", "Alpaca:LimitFinalMarket")]
    [InlineData("--Alpaca:LimitSlippage=-0.01", "Alpaca:LimitSlippage:")]
    [InlineData("--Alpaca:LimitSlippage=5%", "Alpaca:LimitSlippage:")]
    [InlineData("--Alpaca:LimitSlippage=1.5", "Alpaca:LimitSlippage:")]
    [InlineData("--Alpaca:LimitSlippageMax=0.01", "Alpaca:LimitSlippageMax")]
    public async Task A_bad_trading_setting_exits_2_naming_it(string setting, string named)
    {
        using var dir = new TempDirectory();
        using var p = StreamerProcess.Start(dir.Path, Keys, "run", $"--Journal:Path={dir.File("j.db")}", "--Alpaca:TradingUrl=http://127.0.0.1:1", setting);
        Assert.Equal(2, await p.WaitForExitAsync(Long));
        var line = Assert.Single(p.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("streamer run: " + named, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_executor_refuses_to_trade_a_tapes_exits()
    {
        using var dir = new TempDirectory();
        using var p = StreamerProcess.Start(dir.Path, Keys, "run", $"--Journal:Path={dir.File("j.db")}", $"--Feed:Tape={RunTestData.DemoTape}",
            "--Alpaca:TradingUrl=http://127.0.0.1:1", "--Alpaca:Executor=true");
        Assert.Equal(2, await p.WaitForExitAsync(Long));
        var line = Assert.Single(p.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("streamer run: Alpaca:Executor: true with Feed:Tape", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trading_url_without_keys_exits_2_and_names_the_variables()
    {
        using var dir = new TempDirectory();
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Alpaca:TradingUrl=http://127.0.0.1:1");
        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("Alpaca:TradingUrl", line, StringComparison.Ordinal);
        Assert.Contains("APCA_API_KEY_ID", line, StringComparison.Ordinal);
    }


    private static async Task TwoMorePassesAsync(StreamerProcess service, Collector beats, Func<string> debug)
    {
        long now = RunTestData.ReconcilePasses(beats);
        await service.UntilAsync(() => RunTestData.ReconcilePasses(beats) >= now + 2, $"two more reconcile passes after pass {now}", debug);
    }

    private static List<JsonElement> Alerts(Collector alerts, string kind) =>
        [.. alerts.Messages.Where(m => m.Subject == NatsSubjects.Alerts(kind)).Select(m => JsonDocument.Parse(m.Data).RootElement)];

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int CountOf(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static int JournalCount(string path, string sql)
    {
        try
        {
            return int.Parse(Query(path, sql)[0][0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return 0; // not created yet
        }
    }

    private static List<string[]> Query(string path, string sql)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var db = new SqliteConnection(cs);
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = sql;
        using var r = c.ExecuteReader();
        var rows = new List<string[]>();
        while (r.Read())
        {
            var row = new string[r.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            rows.Add(row);
        }
        return rows;
    }
}
