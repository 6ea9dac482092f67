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
/// <c>streamer run</c> with the executor and <c>Alpaca:OrderType=limit</c> against the in-process emulator, whose
/// paper broker rests a limit until the quote makes it marketable (buy: ask ≤ limit, sell: bid ≥ limit, mleg:
/// Σ ratio × (ask for buys, −bid for sells) ≤ limit) and then fills at the quote. The option quotes never move;
/// SPY falls 0.01 per 10 ms and crosses 598 after ~2 s, which fires every position's stop (or target). The exits'
/// marks are the quote mids; every expected limit below is worked by hand from them.
/// </summary>
[Collection(Pipeline.PipelineCollection.Name)]
public sealed class AlpacaTradingLimitRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(40);
    private const string P580 = "SPY300118P00580000"; // 2.00 / 2.10, mid 2.05
    private const string P575 = "SPY300118P00575000"; // 0.80 / 0.90, mid 0.85
    private const string P570 = "SPY300118P00570000"; // 1.52 / 1.58, mid 1.55
    private const string P565 = "SPY300118P00565000"; // 0.62 / 0.68, mid 0.65
    private const string P560 = "SPY300118P00560000"; // 0.40 / 0.50, mid 0.45
    private const string C600 = "SPY300118C00600000"; // 3.00 / 3.20, mid 3.10
    private const string C605 = "SPY300118C00605000"; // 3.00 / 3.40, mid 3.20: a wide market
    private const string P555 = "SPY300118P00555000"; // 1.00 / 1.10, quoted only from 2.5 s on (after the stop)

    private static readonly Dictionary<string, string> Keys = new() { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" };

    private static EmulatorTape Tape()
    {
        var symbols = new SymbolTable();
        int spy = symbols.Intern("SPY");
        var quotes = new (string Symbol, double Bid, double Ask)[]
        {
            (P580, 2.00, 2.10), (P575, 0.80, 0.90), (P570, 1.52, 1.58), (P565, 0.62, 0.68), (P560, 0.40, 0.50), (C600, 3.00, 3.20), (C605, 3.00, 3.40),
        };
        var ids = quotes.Select(q => symbols.Intern(q.Symbol)).ToArray();
        int p555 = symbols.Intern(P555);
        long t0 = NanoTime.ParseRfc3339("2026-01-21T15:00:00Z");
        var ticks = new List<Tick>();
        for (int k = 0; k < 300; k++)
        {
            long t = t0 + k * 10_000_000L;
            ticks.Add(Tick.Quote(t, spy, 600 - k * 0.01, 600.02 - k * 0.01));
            for (int i = 0; i < quotes.Length; i++) ticks.Add(Tick.Quote(t, ids[i], quotes[i].Bid, quotes[i].Ask));
            if (k >= 250) ticks.Add(Tick.Quote(t, p555, 1.00, 1.10));
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private static string[] Args(NatsServerFixture server, TempDirectory dir, AlpacaEmulator emulator, params string[] more) =>
    [
        "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", "--Heartbeat:IntervalSeconds=0.5",
        $"--Alpaca:DataUrl={emulator.DataUrl}", "--Alpaca:MarketClockSpeed=1", $"--Alpaca:TradingUrl={emulator.TradingUrl}", "--Alpaca:Executor=true",
        "--Alpaca:ReconcileSeconds=0", "--Alpaca:DefaultBook=stops", "--Alpaca:OrderType=limit",
        $"--Positions:File={dir.File("positions.json")}", $"--Books:File={dir.File("books.yaml")}", .. more,
    ];

    private static void Files(TempDirectory dir, string positions)
    {
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stops:\n    rules:\n      underlying_stop: {}\n      underlying_target: {}\n");
        File.WriteAllText(dir.File("positions.json"), positions);
    }

    [Fact]
    public async Task Limit_exits_fill_at_or_better_than_limits_priced_from_the_exits_marks()
    {
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        emulator.Broker.SetPosition(P580, -2, 2.40m);
        emulator.Broker.SetPosition(P575, 2, 1.00m);
        emulator.Broker.SetPosition(P570, 1, 1.00m);
        emulator.Broker.SetPosition(P565, -1, 0.40m);
        emulator.Broker.SetPosition(C600, 1, 5.00m);
        emulator.Broker.SetPosition(P560, -3, 0.30m);
        emulator.Broker.SetPosition(P555, 1, 0.50m);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        Files(dir, $$"""
            { "positions": [
              { "id": "PCS", "book": "stops", "stop_underlying": 598.00,
                "legs": [ { "symbol": "{{P580}}", "qty": -2, "entry_price": 2.40 }, { "symbol": "{{P575}}", "qty": 2, "entry_price": 1.00 } ] },
              { "id": "PDS", "book": "stops", "target_underlying": 598.00,
                "legs": [ { "symbol": "{{P570}}", "qty": 1, "entry_price": 1.00 }, { "symbol": "{{P565}}", "qty": -1, "entry_price": 0.40 } ] },
              { "id": "CALL", "book": "stops", "stop_underlying": 598.00, "legs": [ { "symbol": "{{C600}}", "qty": 1, "entry_price": 5.00 } ] },
              { "id": "SHORTPUT", "book": "stops", "stop_underlying": 598.00, "legs": [ { "symbol": "{{P560}}", "qty": -3, "entry_price": 0.30 } ] },
              { "id": "NOMARK", "book": "stops", "target_underlying": 598.00, "legs": [ { "symbol": "{{P555}}", "qty": 1, "entry_price": 0.50 } ] }
            ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var reported = new Collector(bus, "streamer.executions.reported");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        string output;
        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator, "--Alpaca:LimitSlippage=0.1")))
        {
            await service.UntilAsync(() => reported.Count >= 5, "the five exits executed and reported", () => string.Join("\n", alerts.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Data))));
            await service.UntilAsync(() => ExecutorIdle(beats, 5), "the executor idle with 5 orders filled"); // no order left that could report again
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
            output = service.Output;
        }

        // the marks the limits are priced from: the quote mids (NOMARK's put was never quoted before its exit: null)
        var marks = exits.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).SelectMany(e => e.GetProperty("legs").EnumerateArray())
            .ToDictionary(l => l.GetProperty("symbol").GetString()!, l => l.GetProperty("mark") is { ValueKind: JsonValueKind.Number } m ? m.GetDecimal() : (decimal?)null);
        Assert.Equal(new Dictionary<string, decimal?> { [P580] = 2.05m, [P575] = 0.85m, [P570] = 1.55m, [P565] = 0.65m, [C600] = 3.10m, [P560] = 0.45m, [P555] = null }, marks);

        var orders = emulator.Broker.Orders().ToDictionary(o => o.ClientOrderId);
        Assert.Equal(["CALL:1", "NOMARK:1", "PCS:1", "PDS:1", "SHORTPUT:1"], orders.Keys.Order(StringComparer.Ordinal));
        Assert.All(orders.Values, o => Assert.Equal("filled", o.Status));
        // PCS, a credit spread closed for a debit: buy 580 / sell 575, N = 2.05 − 0.85 = +1.20, 10 % → 1.32;
        // the broker's natural 2.10 − 0.80 = 1.30 ≤ 1.32 → filled at 1.30 (better than the limit)
        Assert.Equal(("mleg", "limit", 1.32m, 1.30m), (orders["PCS:1"].OrderClass, orders["PCS:1"].Type, orders["PCS:1"].LimitPrice, orders["PCS:1"].FilledAvgPrice));
        // PDS, a debit spread closed for a credit: sell 570 / buy 565, N = −1.55 + 0.65 = −0.90, 10 % = 0.09 → −0.81 (a credit of at least 0.81);
        // natural −1.52 + 0.68 = −0.84 ≤ −0.81 → filled for a credit of 0.84
        Assert.Equal(("mleg", "limit", -0.81m, -0.84m), (orders["PDS:1"].OrderClass, orders["PDS:1"].Type, orders["PDS:1"].LimitPrice, orders["PDS:1"].FilledAvgPrice));
        // CALL, sold to close: 3.10 − 0.31 = 2.79; the bid 3.00 ≥ 2.79 → filled at 3.00
        Assert.Equal(("simple", "limit", 2.79m, 3.00m), (orders["CALL:1"].OrderClass, orders["CALL:1"].Type, orders["CALL:1"].LimitPrice, orders["CALL:1"].FilledAvgPrice));
        // SHORTPUT, bought to close: 0.45 + 0.045 = 0.495 → up to 0.50; the ask 0.50 ≤ 0.50 → filled at the limit
        Assert.Equal(("limit", 0.50m, 0.50m, 3L), (orders["SHORTPUT:1"].Type, orders["SHORTPUT:1"].LimitPrice, orders["SHORTPUT:1"].FilledAvgPrice, orders["SHORTPUT:1"].Qty));
        // NOMARK: no mark in its exit → a market order, filled once the put is quoted (at the bid)
        Assert.Equal(("market", (decimal?)null, 1.00m), (orders["NOMARK:1"].Type, orders["NOMARK:1"].LimitPrice, orders["NOMARK:1"].FilledAvgPrice));
        Assert.Contains($"exit NOMARK:1: no mark for {P555} in the exit event: sent as a MARKET order", output, StringComparison.Ordinal);

        // the reports say how each was priced
        var reports = reported.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).ToDictionary(r => Str(r, "exit_id")!);
        Assert.Equal(("limit", 1.32m, 1.20m, 1.30m), (Str(reports["PCS:1"], "order_type"), Dec(reports["PCS:1"], "limit_price"), Dec(reports["PCS:1"], "exit_mark"), Dec(reports["PCS:1"], "filled_avg_price")));
        Assert.Equal(("limit", -0.81m, -0.90m, -0.84m), (Str(reports["PDS:1"], "order_type"), Dec(reports["PDS:1"], "limit_price"), Dec(reports["PDS:1"], "exit_mark"), Dec(reports["PDS:1"], "filled_avg_price")));
        Assert.Equal(("limit", 2.79m, 3.10m, 3.00m), (Str(reports["CALL:1"], "order_type"), Dec(reports["CALL:1"], "limit_price"), Dec(reports["CALL:1"], "exit_mark"), Dec(reports["CALL:1"], "filled_avg_price")));
        Assert.Equal(("market", null, $"no mark for {P555} in the exit event"), (Str(reports["NOMARK:1"], "order_type"), Dec(reports["NOMARK:1"], "limit_price"), Str(reports["NOMARK:1"], "market_reason")));
        Assert.All(reports.Values, r => Assert.Equal(1, r.GetProperty("attempts").GetInt32()));
        Assert.Empty(emulator.Broker.Positions());
        Assert.Empty(Alerts(alerts, "order_failed"));
    }

    [Fact]
    public async Task A_too_tight_limit_is_canceled_and_repriced_wider_on_retry_then_fills()
    {
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        emulator.Broker.SetPosition(P580, -2, 2.40m);
        emulator.Broker.SetPosition(P575, 2, 1.00m);
        emulator.Broker.SetPosition(C605, 1, 5.00m);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        Files(dir, $$"""
            { "positions": [
              { "id": "PCS", "book": "stops", "stop_underlying": 598.00,
                "legs": [ { "symbol": "{{P580}}", "qty": -2, "entry_price": 2.40 }, { "symbol": "{{P575}}", "qty": 2, "entry_price": 1.00 } ] },
              { "id": "WIDE", "book": "stops", "stop_underlying": 598.00, "legs": [ { "symbol": "{{C605}}", "qty": 1, "entry_price": 5.00 } ] }
            ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var reported = new Collector(bus, "streamer.executions.reported");
        using var beats = new Collector(bus, NatsSubjects.Heartbeat);
        // the default slippage (5 %, doubled per retry); an unfilled order is canceled after 1 s
        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator, "--Alpaca:OrderTimeoutSeconds=1", "--Alpaca:RetryBackoffSeconds=0.2")))
        {
            await service.UntilAsync(() => reported.Count >= 2, "both exits filled on their retry", () => string.Join("\n", alerts.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Data))));
            await service.UntilAsync(() => ExecutorIdle(beats, 2), "the executor idle with 2 orders filled"); // no order left that could report again
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }

        var orders = emulator.Broker.Orders().OrderBy(o => o.ClientOrderId, StringComparer.Ordinal)
            .Select(o => (o.ClientOrderId, o.Status, o.LimitPrice, o.FilledAvgPrice)).ToList();
        Assert.Equal(
            [
                // PCS: N = +1.20; attempt 1: 5 % = 0.06 → 1.26 < the natural 1.30: rests, canceled; attempt 2: 10 % = 0.12 → 1.32 → filled at 1.30
                ("PCS:1", "canceled", 1.26m, null),
                ("PCS:1#2", "filled", 1.32m, 1.30m),
                // WIDE, sold to close in a 3.00 / 3.40 market (mark 3.20): attempt 1: 3.20 − 0.16 = 3.04 > the bid: canceled;
                // attempt 2: 3.20 − 0.32 = 2.88 → filled at the bid, 3.00
                ("WIDE:1", "canceled", 3.04m, null),
                ("WIDE:1#2", "filled", 2.88m, 3.00m),
            ],
            orders);
        var reports = reported.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).ToDictionary(r => Str(r, "exit_id")!);
        Assert.Equal(("PCS:1#2", 2, "limit", 1.32m), (Str(reports["PCS:1"], "client_order_id"), reports["PCS:1"].GetProperty("attempts").GetInt32(), Str(reports["PCS:1"], "order_type"), Dec(reports["PCS:1"], "limit_price")));
        Assert.Equal(("WIDE:1#2", 2, "limit", 2.88m), (Str(reports["WIDE:1"], "client_order_id"), reports["WIDE:1"].GetProperty("attempts").GetInt32(), Str(reports["WIDE:1"], "order_type"), Dec(reports["WIDE:1"], "limit_price")));
        // the first attempt's order_failed alert announces the retry and its wider limit; nothing was given up
        var failed = Alerts(alerts, "order_failed");
        Assert.Equal(2, failed.Count);
        Assert.Contains("not filled within 1 s", Str(Assert.Single(failed, a => Str(a, "exit_id") == "PCS:1"), "message"), StringComparison.Ordinal);
        Assert.Contains("limit 1.32 (mark 1.20", Str(Assert.Single(failed, a => Str(a, "exit_id") == "PCS:1"), "message"), StringComparison.Ordinal);
        Assert.Contains("limit 2.88 (mark 3.20", Str(Assert.Single(failed, a => Str(a, "exit_id") == "WIDE:1"), "message"), StringComparison.Ordinal);
        Assert.Empty(emulator.Broker.Positions());
        Assert.Equal([["PCS:1", "filled", "2"], ["WIDE:1", "filled", "2"]], Query(dir.File("j.db"), "SELECT exit_id, status, attempts FROM exit_orders ORDER BY exit_id"));
    }

    [Fact]
    public async Task The_last_attempt_of_a_limit_exit_goes_at_market_so_a_stop_is_never_left_open()
    {
        await using var emulator = new AlpacaEmulator(Tape(), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        emulator.Broker.SetPosition(C605, 1, 5.00m);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        Files(dir, $$"""{ "positions": [ { "id": "WIDE", "book": "stops", "stop_underlying": 598.00, "legs": [ { "symbol": "{{C605}}", "qty": 1, "entry_price": 5.00 } ] } ] }""");
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + ">");
        using var reported = new Collector(bus, "streamer.executions.reported");
        // a 1 % allowance that never widens, one retry: the limit cannot fill in a 3.00 / 3.40 market, the retry is the last attempt
        using (var service = StreamerProcess.Start(dir.Path, Keys, Args(server, dir, emulator, "--Alpaca:LimitSlippage=0.01", "--Alpaca:LimitSlippageMax=0.01",
            "--Alpaca:OrderRetries=1", "--Alpaca:OrderTimeoutSeconds=1", "--Alpaca:RetryBackoffSeconds=0.2")))
        {
            await service.UntilAsync(() => reported.Count >= 1, "the exit filled at market on its last attempt", () => string.Join("\n", alerts.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Data))));
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        var orders = emulator.Broker.Orders().OrderBy(o => o.ClientOrderId, StringComparer.Ordinal).Select(o => (o.ClientOrderId, o.Status, o.LimitPrice, o.FilledAvgPrice)).ToList();
        // attempt 1: mark 3.20 − max(1 % = 0.032, 0.01) = 3.168 → 3.16 for a sell, above the 3.00 bid: canceled; attempt 2 (the last): market, the bid
        Assert.Equal([("WIDE:1", "canceled", 3.16m, null), ("WIDE:1#2", "filled", null, 3.00m)], orders);
        var report = JsonDocument.Parse(Assert.Single(reported.Messages).Data).RootElement;
        Assert.Equal("market", Str(report, "order_type"));
        Assert.Contains("Alpaca:LimitFinalMarket", Str(report, "market_reason"), StringComparison.Ordinal);
        Assert.Empty(emulator.Broker.Positions());
        Assert.DoesNotContain(Alerts(alerts, "order_failed"), a => Str(a, "final") == "true");
    }

    // a heartbeat after the last fill: nothing working, every order filled
    private static bool ExecutorIdle(Collector beats, int filled) => beats.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).Any(b =>
        b.TryGetProperty("alpaca_trading", out var t) && t.TryGetProperty("orders_working", out var w) && w.GetInt64() == 0
        && t.GetProperty("orders_filled").GetInt64() == filled);

    private static List<JsonElement> Alerts(Collector alerts, string kind) =>
        [.. alerts.Messages.Where(m => m.Subject == NatsSubjects.Alerts(kind)).Select(m => JsonDocument.Parse(m.Data).RootElement)];

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static decimal? Dec(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDecimal() : null;

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
