using System.Globalization;
using System.Text.Json;
using static Streamer.Stream.Tests.Emulator.SdkClients;

namespace Streamer.Stream.Tests.Emulator;

// `streamer emulate` as its own process, driven by Alpaca's official Node SDK
// (tests/clients: @alpacahq/alpaca-trade-api 4.0.2). Each script also checks every REST body and
// trade update against Alpaca's documented wire shapes; a mismatch fails the test with the field.
public sealed class SdkClientTests
{
    private const string Call = "AAPL260220C00200000";  // the spread's long leg
    private const string Short = "AAPL260220C00210000"; // the spread's short leg
    private const string March = "AAPL260320C00220000";

    /// <summary>2026-01-21T15:00:00Z (10:00 New York, a Wednesday in session).</summary>
    private static readonly DateTime T0 = new(2026, 1, 21, 15, 0, 0, DateTimeKind.Utc);

    private static string At(int tenths) => T0.AddMilliseconds(tenths * 100).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Steady quotes (every 100 ms for 10 minutes): a fill's price is the tape's ask or bid.</summary>
    private static IEnumerable<string> SteadyTape()
    {
        for (int i = 0; i < 6000; i++)
        {
            yield return $"{At(i)},AAPL,201.37,201.45,201.40";
            yield return $"{At(i)},{Call},6.15,6.30,";
            yield return $"{At(i)},{Short},2.40,2.55,";
            yield return $"{At(i)},{March},1.05,1.25,";
        }
    }

    /// <summary>Every 100 ms for 10 minutes, each row a cent above the last: a message names its own row.</summary>
    private static IEnumerable<string> MovingTape()
    {
        for (int i = 0; i < 6000; i++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{At(i)},AAPL,{200 + i * 0.01m},{200.05m + i * 0.01m},{200.02m + i * 0.01m}");
            yield return string.Create(CultureInfo.InvariantCulture, $"{At(i)},{Call},{5 + i * 0.01m},{5.1m + i * 0.01m},");
        }
    }

    [Fact]
    public async Task Sdk_streams_stock_quotes_and_trades_and_option_quotes_as_on_the_tape()
    {
        var tape = WriteTape(MovingTape());
        var (emulator, port) = await StartEmulatorAsync(tape, "--speed", "1");
        try
        {
            var r = await RunAsync("market-data.js", port, new Dictionary<string, string> { ["STOCK"] = "AAPL", ["OPTION"] = Call, ["COUNT"] = "3" }, TimeSpan.FromSeconds(60));
            long t0 = (T0.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            int Row(JsonElement m) => (int)((Ns(Str(m, "t")) - t0) / 100_000_000);

            var stockQuotes = r.GetProperty("stockQuotes").EnumerateArray().ToList();
            Assert.Equal(3, stockQuotes.Count);
            int first = Row(stockQuotes[0]);
            for (int k = 0; k < 3; k++)
            {
                var q = stockQuotes[k];
                int i = Row(q);
                Assert.Equal(first + k, i); // consecutive rows, none lost or repeated
                Assert.Equal("AAPL", Str(q, "symbol"));
                Assert.Equal((double)(200 + i * 0.01m), q.GetProperty("bid").GetDouble(), 9);
                Assert.Equal((double)(200.05m + i * 0.01m), q.GetProperty("ask").GetDouble(), 9);
                Assert.Equal(1, q.GetProperty("bidSize").GetInt32()); // the emulator's displayed size without partial fills
            }
            foreach (var t in r.GetProperty("stockTrades").EnumerateArray())
                Assert.Equal((double)(200.02m + Row(t) * 0.01m), t.GetProperty("price").GetDouble(), 9);

            var optionQuotes = r.GetProperty("optionQuotes").EnumerateArray().ToList();
            Assert.Equal(3, optionQuotes.Count);
            int firstOption = Row(optionQuotes[0]);
            for (int k = 0; k < 3; k++)
            {
                var q = optionQuotes[k];
                int i = Row(q);
                Assert.Equal(firstOption + k, i);
                Assert.Equal(Call, Str(q, "symbol"));
                Assert.Equal((double)(5 + i * 0.01m), q.GetProperty("bid").GetDouble(), 9);
                Assert.Equal((double)(5.1m + i * 0.01m), q.GetProperty("ask").GetDouble(), 9);
            }

            var subs = r.GetProperty("subscriptions");
            Assert.Equal(["AAPL"], subs.GetProperty("stocks").GetProperty("quotes").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["AAPL"], subs.GetProperty("stocks").GetProperty("trades").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([Call], subs.GetProperty("options").GetProperty("quotes").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("auth failed", Str(r.GetProperty("badAuth"), "error")); // 402, which the SDK does not retry
            Assert.Equal("disconnected", Str(r.GetProperty("badAuth"), "state"));
        }
        finally
        {
            await StopAsync(emulator);
            File.Delete(tape);
        }
    }

    [Fact]
    public async Task Sdk_reads_market_data_rest_from_the_tape_on_the_market_clock()
    {
        var tape = WriteTape(MovingTape());
        var (emulator, port) = await StartEmulatorAsync(tape, "--speed", "1");
        try
        {
            var r = await RunAsync("market-rest.js", port, new Dictionary<string, string>
            {
                ["STOCK"] = "AAPL", ["OPTION"] = Call, ["FROM"] = At(0), ["TO"] = At(9), // rows 0-9: end is inclusive
            }, TimeSpan.FromSeconds(60));
            long t0 = (T0.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            int Row(string t) => (int)((Ns(t) - t0) / 100_000_000);

            // latest: a row already played (the stream saw 15 quotes), never one after the clock
            var latest = r.GetProperty("latestQuote");
            int row = Row(Str(latest, "t"));
            Assert.InRange(row, 14, 5999);
            Assert.True(Ns(Str(latest, "t")) <= Ns(Str(r, "clockAfter")) + 1_000_000, "a quote from after the market clock"); // the SDK keeps ms
            Assert.Equal((double)(200 + row * 0.01m), latest.GetProperty("bp").GetDouble(), 9);
            Assert.Equal((double)(200.05m + row * 0.01m), latest.GetProperty("ap").GetDouble(), 9);
            Assert.Equal((double)(200 + row * 0.01m), r.GetProperty("latestQuoteParsed").GetProperty("bp").GetDouble(), 9); // as the SDK parsed it
            var trade = r.GetProperty("latestTrade");
            Assert.Equal((double)(200.02m + Row(Str(trade, "t")) * 0.01m), trade.GetProperty("p").GetDouble(), 9);
            Assert.Equal(trade.GetProperty("p").GetDouble(), r.GetProperty("latestPrice").GetDouble(), 9); // the SDK's getLatestPrice

            var snapshot = r.GetProperty("snapshot");
            Assert.Equal(("2026-01-21T15:00:00Z", 200.02), (Str(snapshot.GetProperty("minuteBar"), "t"), snapshot.GetProperty("minuteBar").GetProperty("o").GetDouble()));
            Assert.Equal("2026-01-21T05:00:00Z", Str(snapshot.GetProperty("dailyBar"), "t")); // New York midnight
            Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("prevDailyBar").ValueKind); // the tape has no day before
            Assert.Equal(["AAPL"], r.GetProperty("snapshotsKeys").EnumerateArray().Select(e => e.GetString())); // unknown symbols left out

            // rows 0-9, 4 to a page by next_page_token: 4 + 4 + 2, each the tape's row
            var pages = r.GetProperty("quotePages").EnumerateArray().Select(p => p.EnumerateArray().ToList()).ToList();
            Assert.Equal([4, 4, 2], pages.Select(p => p.Count));
            var all = pages.SelectMany(p => p).ToList();
            for (int i = 0; i < all.Count; i++)
            {
                Assert.Equal(i, Row(Str(all[i], "t")));
                Assert.Equal((double)(200 + i * 0.01m), all[i].GetProperty("bp").GetDouble(), 9);
            }
            Assert.Equal(10, r.GetProperty("collectedQuotes").GetInt32()); // the SDK's auto-paging, 3 to a page
            var trades = r.GetProperty("trades").EnumerateArray().ToList();
            Assert.Equal(10, trades.Count);
            Assert.All(trades, t => Assert.Equal((double)(200.02m + Row(Str(t, "t")) * 0.01m), t.GetProperty("p").GetDouble(), 9));
            Assert.Equal(JsonValueKind.Null, r.GetProperty("tradesNext").ValueKind);
            var bar = Assert.Single(r.GetProperty("bars").EnumerateArray());
            Assert.Equal(("2026-01-21T15:00:00Z", 200.02, 200.11, 200.02, 200.11, 1000, 10),
                (Str(bar, "t"), bar.GetProperty("o").GetDouble(), bar.GetProperty("h").GetDouble(), bar.GetProperty("l").GetDouble(), bar.GetProperty("c").GetDouble(), bar.GetProperty("v").GetInt32(), bar.GetProperty("n").GetInt32()));

            var option = r.GetProperty("optionLatest");
            int optionRow = Row(Str(option, "t"));
            Assert.Equal((double)(5 + optionRow * 0.01m), option.GetProperty("bp").GetDouble(), 9);
            Assert.Equal((double)(5.1m + optionRow * 0.01m), option.GetProperty("ap").GetDouble(), 9);
            Assert.Equal(JsonValueKind.Object, r.GetProperty("optionSnapshot").GetProperty("latestQuote").ValueKind);
            Assert.Equal([Call], r.GetProperty("chain").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal((422, 42210000), (r.GetProperty("badTimeframe").GetProperty("status").GetInt32(), r.GetProperty("badTimeframe").GetProperty("code").GetInt32()));
        }
        finally
        {
            await StopAsync(emulator);
            File.Delete(tape);
        }
    }

    /// <summary>Every 100 ms for 10 minutes: AAPL quotes, the call's quotes and, every 5th row, its trade (a cent above the row before).</summary>
    private static IEnumerable<string> OptionTradesTape()
    {
        for (int i = 0; i < 6000; i++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{At(i)},AAPL,{200 + i * 0.01m},{200.05m + i * 0.01m},");
            string last = i % 5 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{5.05m + i * 0.01m}") : "";
            yield return string.Create(CultureInfo.InvariantCulture, $"{At(i)},{Call},{5 + i * 0.01m},{5.1m + i * 0.01m},{last}");
        }
    }

    [Fact]
    public async Task Sdk_reads_option_trades_bars_and_snapshot_greeks_from_the_tape()
    {
        var tape = WriteTape(OptionTradesTape());
        var (emulator, port) = await StartEmulatorAsync(tape, "--history");
        try
        {
            var r = await RunAsync("option-rest.js", port, new Dictionary<string, string>
            {
                ["OPTION"] = Call, ["FROM"] = At(0), ["TO"] = At(49), // rows 0-49: trades at 0, 5, …, 45
            }, TimeSpan.FromSeconds(60));
            long t0 = (T0.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            int Row(string t) => (int)((Ns(t) - t0) / 100_000_000);

            // 10 trades, 4 to a page by next_page_token: 4 + 4 + 2, each the tape's row
            var pages = r.GetProperty("tradePages").EnumerateArray().Select(p => p.EnumerateArray().ToList()).ToList();
            Assert.Equal([4, 4, 2], pages.Select(p => p.Count));
            var trades = pages.SelectMany(p => p).ToList();
            for (int k = 0; k < trades.Count; k++)
            {
                Assert.Equal(5 * k, Row(Str(trades[k], "t")));
                Assert.Equal((double)(5.05m + 5 * k * 0.01m), trades[k].GetProperty("p").GetDouble(), 9);
            }
            // one minute bar over rows 0-49 (4.9 s): open the first trade, close the last, 1 contract each
            var bar = Assert.Single(r.GetProperty("bars").EnumerateArray());
            Assert.Equal((5.05, 5.50, 10, 10), (bar.GetProperty("o").GetDouble(), bar.GetProperty("c").GetDouble(), bar.GetProperty("v").GetInt32(), bar.GetProperty("n").GetInt32()));

            // greeks from Black–Scholes on the last quote (the tape's end, --history): recomputed here from the tape's numbers
            var snap = r.GetProperty("snapshot");
            var quote = snap.GetProperty("quote");
            int row = Row(Str(quote, "t"));
            Assert.Equal(5999, row);
            double mid = (double)(5.05m + row * 0.01m), spot = (double)(200.025m + row * 0.01m), strike = 200;
            long quoteNs = Ns(Str(quote, "t"));
            double years = (Streamer.Rules.Calendar.MarketCalendar.ExpirationUtc(new DateOnly(2026, 2, 20)) - quoteNs) / (365.0 * 86_400e9);
            Assert.Equal(Streamer.Rules.Pricing.IvStatus.Ok, Streamer.Rules.Pricing.ImpliedVolatility.TrySolve(Streamer.Rules.Instruments.OptionRight.Call, mid, spot, strike, years, 0.04, 0, out double vol));
            var g = Streamer.Rules.Pricing.BlackScholes.Greeks(Streamer.Rules.Instruments.OptionRight.Call, spot, strike, years, 0.04, 0, vol);
            var greeks = snap.GetProperty("greeks");
            Assert.Equal(vol, snap.GetProperty("impliedVolatility").GetDouble(), 4);
            Assert.Equal(g.Delta, greeks.GetProperty("delta").GetDouble(), 4);
            Assert.Equal(g.Gamma, greeks.GetProperty("gamma").GetDouble(), 4);
            Assert.Equal(g.Theta / 365, greeks.GetProperty("theta").GetDouble(), 4);
            Assert.Equal(g.Vega / 100, greeks.GetProperty("vega").GetDouble(), 4);
            Assert.Equal(g.Rho / 100, greeks.GetProperty("rho").GetDouble(), 4);
            Assert.InRange(greeks.GetProperty("delta").GetDouble(), 0.3, 0.9); // a near-the-money call a month out
            Assert.Equal((422, 42210000), (r.GetProperty("backwards").GetProperty("status").GetInt32(), r.GetProperty("backwards").GetProperty("code").GetInt32()));
        }
        finally
        {
            await StopAsync(emulator);
            File.Delete(tape);
        }
    }

    [Fact]
    public async Task Sdk_reads_clock_calendar_assets_and_option_contracts()
    {
        var tape = WriteTape(SteadyTape());
        var (emulator, port) = await StartEmulatorAsync(tape, "--speed", "1");
        try
        {
            var r = await RunAsync("reference.js", port, new Dictionary<string, string> { ["STOCK"] = "AAPL", ["LONG_CALL"] = Call }, TimeSpan.FromSeconds(60));
            Assert.True(r.GetProperty("validate").GetProperty("ok").GetBoolean());
            Assert.Equal("100000", Str(r.GetProperty("account"), "cash"));
            Assert.Equal(3, r.GetProperty("account").GetProperty("optionsTradingLevel").GetInt32());

            // the market clock has not started (no subscription): the tape's first time, in New York time
            var clock = r.GetProperty("clock");
            Assert.StartsWith("2026-01-21T10:00:00", Str(clock, "timestamp"), StringComparison.Ordinal);
            Assert.EndsWith("-05:00", Str(clock, "timestamp"), StringComparison.Ordinal);
            Assert.True(clock.GetProperty("is_open").GetBoolean());
            Assert.Equal("2026-01-21T16:00:00-05:00", Str(clock, "next_close"));
            Assert.Equal("2026-01-22T09:30:00-05:00", Str(clock, "next_open"));
            Assert.Equal("2026-01-21T21:00:00.000Z", Str(clock, "parsedNextClose")); // as the SDK reads it

            // v3: NYSE and OPRA both in their core phase until 16:00 New York, the raw times in New York time
            var clocks = r.GetProperty("clocksV3Parsed").EnumerateArray().ToList();
            Assert.Equal(["NYSE", "OPRA"], clocks.Select(c => Str(c, "market")));
            Assert.All(clocks, c => Assert.Equal(("core", "2026-01-21T21:00:00.000Z", "2026-01-22T14:30:00.000Z"), (Str(c, "phase"), Str(c, "phaseUntil"), Str(c, "nextOpen"))));
            var rawV3 = r.GetProperty("clocksV3")[0];
            Assert.Equal(("XNYS", "America/New_York", true), (Str(rawV3.GetProperty("market"), "mic"), Str(rawV3.GetProperty("market"), "timezone"), rawV3.GetProperty("is_market_day").GetBoolean()));
            Assert.EndsWith("-05:00", Str(rawV3, "phase_until"), StringComparison.Ordinal);
            // Thanksgiving week 2026: the 26th closed, the 27th closes at 13:00 (post to 17:00), the weekend skipped
            var v3days = r.GetProperty("calendarV3").EnumerateArray().ToList();
            Assert.Equal(["2026-11-25", "2026-11-27", "2026-11-30"], v3days.Select(d => Str(d, "date")));
            Assert.Equal(("2026-11-27T09:00:00.000Z", "2026-11-27T14:30:00.000Z", "2026-11-27T18:00:00.000Z", "2026-11-27T22:00:00.000Z"),
                (Str(v3days[1], "preStart"), Str(v3days[1], "coreStart"), Str(v3days[1], "coreEnd"), Str(v3days[1], "postEnd")));
            Assert.Equal("2026-11-26T01:00:00.000Z", Str(v3days[0], "postEnd")); // 20:00 New York on the 25th
            var opra = Assert.Single(r.GetProperty("calendarOpra").EnumerateArray());
            Assert.Equal(("2026-11-27T14:30:00Z", "2026-11-27T18:00:00Z"), (Str(opra, "core_start"), Str(opra, "core_end"))); // timezone=UTC; no extended hours
            Assert.False(opra.TryGetProperty("pre_start", out _));
            Assert.Equal((422, 42210000), (r.GetProperty("calendarLse").GetProperty("status").GetInt32(), r.GetProperty("calendarLse").GetProperty("code").GetInt32()));

            // January 2026: 21 weekdays less New Year's Day and Martin Luther King Jr. Day (the 19th)
            var days = r.GetProperty("calendar").EnumerateArray().ToDictionary(d => Str(d, "date"));
            Assert.Equal(20, days.Count);
            Assert.Equal("2026-01-02", days.Keys.First());
            Assert.DoesNotContain("2026-01-19", days.Keys);
            Assert.Equal(("09:30", "16:00", "0400", "2000"), (Str(days["2026-01-16"], "open"), Str(days["2026-01-16"], "close"), Str(days["2026-01-16"], "session_open"), Str(days["2026-01-16"], "session_close")));
            Assert.Equal("2026-01-20", Str(days["2026-01-16"], "settlement_date")); // T+1 over the long weekend

            var assets = r.GetProperty("assets").EnumerateArray().ToDictionary(a => Str(a, "symbol"), a => Str(a, "class"));
            Assert.Equal(new Dictionary<string, string> { ["AAPL"] = "us_equity", [Call] = "us_option", [Short] = "us_option", [March] = "us_option" }, assets);
            var asset = r.GetProperty("asset");
            Assert.Equal(("AAPL", "us_equity", "active", true), (Str(asset, "symbol"), Str(asset, "class"), Str(asset, "status"), asset.GetProperty("tradable").GetBoolean()));
            Assert.Contains("has_options", asset.GetProperty("attributes").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("AAPL", Str(r, "assetById"));
            var missing = r.GetProperty("missingAsset");
            Assert.True(missing.GetProperty("notFound").GetBoolean());
            Assert.Equal((404, 40410000), (missing.GetProperty("status").GetInt32(), missing.GetProperty("code").GetInt32()));

            var contracts = r.GetProperty("contracts").EnumerateArray().ToList();
            Assert.Equal([Call, Short, March], contracts.Select(c => Str(c, "symbol")));
            var c0 = contracts[0];
            Assert.Equal(("AAPL", "AAPL", "call", "american", "200", "100", "2026-02-20", "active"),
                (Str(c0, "root_symbol"), Str(c0, "underlying_symbol"), Str(c0, "type"), Str(c0, "style"), Str(c0, "strike_price"), Str(c0, "multiplier"), Str(c0, "expiration_date"), Str(c0, "status")));
            Assert.Equal(Str(asset, "id"), Str(c0, "underlying_asset_id"));
            Assert.Equal("AAPL Feb 20 2026 200 Call", Str(c0, "name"));
            Assert.Equal(JsonValueKind.Null, r.GetProperty("contractsNext").ValueKind);
            var pages = r.GetProperty("contractPages");
            Assert.Equal([Call], pages[0].EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(JsonValueKind.String, pages[1].ValueKind);
            Assert.Equal([Short], pages[2].EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(Call, Str(r.GetProperty("contract"), "symbol"));
        }
        finally
        {
            await StopAsync(emulator);
            File.Delete(tape);
        }
    }

    [Fact]
    public async Task Sdk_trades_simple_limit_and_mleg_orders_cancels_closes_and_hears_every_fill()
    {
        var tape = WriteTape(SteadyTape());
        var (emulator, port) = await StartEmulatorAsync(tape, "--speed", "1");
        try
        {
            var r = await RunAsync("trading.js", port, new Dictionary<string, string> { ["STOCK"] = "AAPL", ["LONG_CALL"] = Call, ["SHORT_CALL"] = Short }, TimeSpan.FromSeconds(90));
            Assert.Equal((201.37, 201.45), (r.GetProperty("firstQuote").GetProperty("bid").GetDouble(), r.GetProperty("firstQuote").GetProperty("ask").GetDouble()));
            Assert.Equal(["trade_updates"], r.GetProperty("listening").EnumerateArray().Select(e => e.GetString()));

            // qty 1.0 as a JSON number (alpaca-py's spelling) is one contract, filled at the ask
            var decimalQty = r.GetProperty("decimalQty");
            Assert.Equal(200, decimalQty.GetProperty("status").GetInt32());
            Assert.Equal(("1", "filled", "6.3", "buy_to_open"), (Str(decimalQty.GetProperty("order"), "qty"), Str(decimalQty.GetProperty("order"), "status"), Str(decimalQty.GetProperty("order"), "filled_avg_price"), Str(decimalQty.GetProperty("order"), "position_intent")));
            var fractional = r.GetProperty("fractionalOption");
            Assert.True(fractional.GetProperty("validation").GetBoolean());
            Assert.Equal((422, 42210000), (fractional.GetProperty("status").GetInt32(), fractional.GetProperty("code").GetInt32()));

            Assert.Equal(204, r.GetProperty("cancelStatus").GetInt32());
            Assert.Equal("canceled", Str(r.GetProperty("canceled"), "status"));
            Assert.True(r.GetProperty("canceledParsed").GetProperty("canceledAt").GetBoolean());

            // the spread: buy Call at its ask, sell Short at its bid, 3 units, net debit 6.30 - 2.40
            var spread = r.GetProperty("spread");
            Assert.Equal(("mleg", "filled", "3", "3", "3.9", ""), (Str(spread, "order_class"), Str(spread, "status"), Str(spread, "qty"), Str(spread, "filled_qty"), Str(spread, "filled_avg_price"), Str(spread, "symbol")));
            var legs = spread.GetProperty("legs").EnumerateArray().ToList();
            Assert.Equal([(Call, "buy", "buy_to_open", "3", "6.3", "1", "filled"), (Short, "sell", "sell_to_open", "3", "2.4", "1", "filled")],
                legs.Select(l => (Str(l, "symbol"), Str(l, "side"), Str(l, "position_intent"), Str(l, "filled_qty"), Str(l, "filled_avg_price"), Str(l, "ratio_qty"), Str(l, "status"))));
            Assert.All(legs, l => Assert.NotEqual(Str(spread, "id"), Str(l, "id")));
            Assert.True(r.GetProperty("spreadByClientId").GetBoolean());

            Assert.Equal([("sdk-stock-buy", "filled", "10", "201.45"), ("sdk-decimal-qty", "filled", "1", "6.3"), ("sdk-call-limit", "filled", "2", "6.3"), ("sdk-resting", "canceled", "0", ""), ("sdk-spread", "filled", "3", "3.9")],
                r.GetProperty("orders").EnumerateArray().Select(o => (Str(o, "client_order_id"), Str(o, "status"), Str(o, "filled_qty"), o.GetProperty("filled_avg_price").GetString() ?? "")));
            Assert.Equal(["sdk-call-limit"], r.GetProperty("window").EnumerateArray().Select(e => e.GetString())); // after / until are exclusive
            Assert.Equal(r.GetProperty("orders").EnumerateArray().Where(o => Str(o, "side") == "buy").Select(o => Str(o, "client_order_id")),
                r.GetProperty("buys").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains("sdk-stock-buy", r.GetProperty("buys").EnumerateArray().Select(e => e.GetString()));

            Assert.Equal([("AAPL", "10", "long", "201.45"), (Call, "6", "long", "6.3"), (Short, "-3", "short", "2.4")],
                r.GetProperty("positions").EnumerateArray().Select(p => (Str(p, "symbol"), Str(p, "qty"), Str(p, "side"), Str(p, "avg_entry_price"))));

            var closeOne = r.GetProperty("closeOne");
            Assert.Equal(("AAPL", "sell", "4", "sell_to_close", "market"), (Str(closeOne, "symbol"), Str(closeOne, "side"), Str(closeOne, "qty"), Str(closeOne, "position_intent"), Str(closeOne, "type")));
            Assert.Equal("6", Str(r, "stockAfterClose"));

            var cancelAll = r.GetProperty("cancelAll");
            Assert.Equal(207, cancelAll.GetProperty("status").GetInt32());
            Assert.Equal([Str(cancelAll, "expected")], cancelAll.GetProperty("ids").EnumerateArray().Select(e => e.GetString()));

            var closeAll = r.GetProperty("closeAll");
            Assert.Equal(207, closeAll.GetProperty("status").GetInt32());
            Assert.Equal([("AAPL", 200, "sell", "6", "sell_to_close"), (Call, 200, "sell", "6", "sell_to_close"), (Short, 200, "buy", "3", "buy_to_close")],
                closeAll.GetProperty("results").EnumerateArray().Select(c => (Str(c, "symbol"), c.GetProperty("status").GetInt32(), Str(c, "side"), Str(c, "qty"), Str(c, "intent"))));

            // every execution is a FILL activity (a spread: one per leg), newest first
            var fills = r.GetProperty("activities").EnumerateArray().ToList();
            Assert.All(fills, a => Assert.Equal("FILL", Str(a, "activity_type")));
            Assert.Equal([(Short, "buy", "3", "2.55"), (Call, "sell", "6", "6.15"), ("AAPL", "sell", "6", "201.37"), ("AAPL", "sell", "4", "201.37"),
                    (Short, "sell", "3", "2.4"), (Call, "buy", "3", "6.3"), (Call, "buy", "2", "6.3"), (Call, "buy", "1", "6.3"), ("AAPL", "buy", "10", "201.45")],
                fills.Select(a => (Str(a, "symbol"), Str(a, "side"), Str(a, "qty"), Str(a, "price"))));

            // trade_updates as the SDK parsed them, per order in order
            var updates = r.GetProperty("updates").EnumerateArray().ToList();
            List<(string, string?, string?, string?)> Of(string clientId) => [.. updates.Where(u => Str(u, "client_order_id") == clientId)
                .Select(u => (Str(u, "event"), u.GetProperty("price").GetString(), u.GetProperty("qty").GetString(), u.GetProperty("position_qty").GetString()))];
            Assert.Equal([("new", null, null, null), ("fill", "201.45", "10", "10")], Of("sdk-stock-buy"));
            Assert.Equal([("new", null, null, null), ("fill", "6.3", "1", "1")], Of("sdk-decimal-qty"));
            Assert.Equal([("new", null, null, null), ("fill", "6.3", "2", "3")], Of("sdk-call-limit"));
            Assert.Equal([("new", null, null, null), ("canceled", null, null, null)], Of("sdk-resting"));
            Assert.Equal([("new", null, null, null), ("canceled", null, null, null)], Of("sdk-cancel-all"));
            Assert.Equal([("new", null, null, null), ("fill", "3.9", "3", null)], Of("sdk-spread"));
            var spreadFill = updates.Single(u => Str(u, "client_order_id") == "sdk-spread" && Str(u, "event") == "fill");
            Assert.Equal("mleg", Str(spreadFill, "order_class"));
            var qtys = spreadFill.GetProperty("position_qtys");
            Assert.Equal(("6", "-3"), (Str(qtys, Call), Str(qtys, Short)));
            Assert.Equal([(Call, "buy", "3", "6.3"), (Short, "sell", "3", "2.4")],
                spreadFill.GetProperty("legs").EnumerateArray().Select(l => (Str(l, "symbol"), Str(l, "side"), Str(l, "filled_qty"), Str(l, "filled_avg_price"))));
            // the closing fills bring every position to zero
            Assert.Equal(["6", "0", "0", "0"], updates.Where(u => Str(u, "event") == "fill" && Str(u, "order_class") == "simple")
                .Skip(3).Select(u => u.GetProperty("position_qty").GetString()));
            Assert.Equal(updates.Count, r.GetProperty("rawUpdateCount").GetInt32()); // the raw listener heard the same
        }
        finally
        {
            await StopAsync(emulator);
            File.Delete(tape);
        }
    }
}
