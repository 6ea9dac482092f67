using System.Net;
using System.Text.Json;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// partial fills by displayed size, over loopback HTTP and the trade_updates websocket
public sealed class PartialFillTests : IAsyncLifetime
{
    private const string Call = Tapes.Call; // AAPL260220C00200000, on the Mixed tape
    private const string ShortPut = "SPY260220P00580000";
    private const string LongPut = "SPY260220P00575000";
    private TradingHarness _h = null!;

    public async Task InitializeAsync() =>
        _h = await TradingHarness.StartAsync(Tapes.Mixed(3), new PaperBrokerOptions { PartialFills = true });

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    [Fact]
    public async Task A_market_buy_larger_than_the_ask_size_fills_it_now_and_the_rest_at_later_quotes()
    {
        _h.Broker.OnQuote(Call, 5.00, 5.10, bidSize: 9, askSize: 2);
        var (status, posted) = await _h.PostOrderAsync(
            """{"symbol":"AAPL260220C00200000","qty":"5","side":"buy","type":"market","time_in_force":"day","position_intent":"buy_to_open","client_order_id":"pf-1"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("partially_filled", "2", "5.1"), (Str(posted, "status"), Str(posted, "filled_qty"), Str(posted, "filled_avg_price")));

        _h.Broker.OnQuote(Call, 5.05, 5.20, 9, 2);
        _h.Broker.OnQuote(Call, 5.10, 5.30, 9, 10);
        _h.Broker.OnQuote(Call, 5.10, 5.40, 9, 10); // nothing left to fill

        var u = await _h.NextUpdatesAsync(4);
        Assert.Equal(["new", "partial_fill", "partial_fill", "fill"], u.Select(x => Str(x, "event")));
        Assert.Equal(["2", "2", "1"], u.Skip(1).Select(x => Str(x, "qty")));
        Assert.Equal(["5.1", "5.2", "5.3"], u.Skip(1).Select(x => Str(x, "price")));
        Assert.Equal(["2", "4", "5"], u.Skip(1).Select(x => Str(x, "position_qty")));
        var orders = u.Skip(1).Select(x => x.GetProperty("order")).ToList();
        Assert.Equal(["2", "4", "5"], orders.Select(o => Str(o, "filled_qty")));
        Assert.Equal(["partially_filled", "partially_filled", "filled"], orders.Select(o => Str(o, "status")));
        // weighted: (2×5.10 + 2×5.20) / 4 = 5.15; (20.6 + 5.30) / 5 = 5.18
        Assert.Equal(["5.1", "5.15", "5.18"], orders.Select(o => Str(o, "filled_avg_price")));
        Assert.Equal(JsonValueKind.Null, orders[1].GetProperty("filled_at").ValueKind);
        Assert.Equal(JsonValueKind.String, orders[2].GetProperty("filled_at").ValueKind);

        var (_, position) = await _h.GetAsync($"/v2/positions/{Call}");
        Assert.Equal(("5", "5.18"), (Str(position, "qty"), Str(position, "avg_entry_price")));
        Assert.True(await _h.QuietForAsync(200)); // the 4th quote filled nothing more
    }

    [Fact]
    public async Task One_quotes_size_is_shared_by_the_orders_in_submission_order()
    {
        _h.Broker.SetPosition(Call, 10, 4.00m);
        _h.Broker.OnQuote(Call, 5.00, 5.10, bidSize: 3, askSize: 9);
        var (_, first) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"2","side":"sell","type":"market","time_in_force":"day","position_intent":"sell_to_close"}""");
        var (_, second) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"4","side":"sell","type":"market","time_in_force":"day","position_intent":"sell_to_close"}""");
        Assert.Equal(("filled", "2"), (Str(first, "status"), Str(first, "filled_qty")));
        Assert.Equal(("partially_filled", "1"), (Str(second, "status"), Str(second, "filled_qty"))); // 3 shown, 2 taken
        Assert.Equal(7, _h.Broker.Position(Call)!.Qty);

        _h.Broker.OnQuote(Call, 4.90, 5.00, bidSize: 2, askSize: 9);
        Assert.Equal(5, _h.Broker.Position(Call)!.Qty);
        _h.Broker.OnQuote(Call, 4.80, 4.90, bidSize: 5, askSize: 9);
        Assert.Equal(4, _h.Broker.Position(Call)!.Qty);

        var (_, order) = await _h.GetAsync($"/v2/orders/{Str(second, "id")}");
        Assert.Equal(("filled", "4"), (Str(order, "status"), Str(order, "filled_qty")));
        Assert.Equal("4.9", Str(order, "filled_avg_price")); // (5.00 + 2×4.90 + 4.80) / 4
        var events = (await _h.NextUpdatesAsync(6)).Select(x => (Str(x, "event"), Str(x.GetProperty("order"), "client_order_id") == Str(second, "client_order_id"))).ToList();
        Assert.Equal([("new", false), ("fill", false), ("new", true), ("partial_fill", true), ("partial_fill", true), ("fill", true)], events);
    }

    [Fact]
    public async Task A_multi_leg_order_fills_in_whole_strategy_units_never_one_leg_alone()
    {
        // 3 ratio-1:2 put ratio spreads: buy 1 short-strike put, sell 2 long-strike puts per unit
        _h.Broker.OnQuote(ShortPut, 1.00, 1.05, bidSize: 50, askSize: 5);
        _h.Broker.OnQuote(LongPut, 0.60, 0.65, bidSize: 3, askSize: 50); // 3 shown → 1 unit (needs 2 per unit)
        var (status, posted) = await _h.PostOrderAsync("""
            {"order_class":"mleg","qty":"3","type":"limit","limit_price":"0.10","time_in_force":"day","client_order_id":"ratio-1",
             "legs":[{"symbol":"SPY260220P00580000","ratio_qty":"1","side":"buy","position_intent":"buy_to_open"},
                     {"symbol":"SPY260220P00575000","ratio_qty":"2","side":"sell","position_intent":"sell_to_open"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("partially_filled", "1"), (Str(posted, "status"), Str(posted, "filled_qty")));
        Assert.Equal((1L, -2L), (_h.Broker.Position(ShortPut)!.Qty, _h.Broker.Position(LongPut)!.Qty));

        _h.Broker.OnQuote(LongPut, 0.61, 0.66, bidSize: 1, askSize: 50); // 1 shown: not a whole unit
        Assert.Equal((1L, -2L), (_h.Broker.Position(ShortPut)!.Qty, _h.Broker.Position(LongPut)!.Qty));
        _h.Broker.OnQuote(LongPut, 0.62, 0.67, bidSize: 40, askSize: 50); // the short-strike ask has 4 left of 5
        Assert.Equal((3L, -6L), (_h.Broker.Position(ShortPut)!.Qty, _h.Broker.Position(LongPut)!.Qty));

        var u = await _h.NextUpdatesAsync(3);
        Assert.Equal(["new", "partial_fill", "fill"], u.Select(x => Str(x, "event")));
        var partial = u[1];
        Assert.Equal(("1", "-0.15"), (Str(partial, "qty"), Str(partial, "price"))); // 1.05 − 2×0.60
        Assert.Equal(("1", "-2"), (Str(partial.GetProperty("position_qtys"), ShortPut), Str(partial.GetProperty("position_qtys"), LongPut)));
        var legs = partial.GetProperty("legs").EnumerateArray().ToList();
        Assert.Equal([(ShortPut, "buy", "1", "1.05", "1"), (LongPut, "sell", "2", "0.6", "-2")],
            legs.Select(l => (Str(l, "symbol"), Str(l, "side"), Str(l, "qty"), Str(l, "price"), Str(l, "position_qty"))));
        var fill = u[2];
        Assert.Equal(("2", "-0.19"), (Str(fill, "qty"), Str(fill, "price"))); // 1.05 − 2×0.62
        Assert.Equal(("3", "-6"), (Str(fill.GetProperty("position_qtys"), ShortPut), Str(fill.GetProperty("position_qtys"), LongPut)));
        var order = fill.GetProperty("order");
        Assert.Equal(("filled", "3"), (Str(order, "status"), Str(order, "filled_qty")));
        Assert.Equal("-0.1766666667", Str(order, "filled_avg_price")); // (−0.15 − 2×0.19) / 3
        var orderLegs = order.GetProperty("legs").EnumerateArray().ToList();
        Assert.Equal(["3", "6"], orderLegs.Select(l => Str(l, "filled_qty")));
        Assert.Equal(["1.05", "0.6133333333"], orderLegs.Select(l => Str(l, "filled_avg_price"))); // (0.60 + 2×0.62) / 3
    }

    [Fact]
    public async Task Without_the_option_the_same_order_fills_whole_at_once()
    {
        await using var whole = await TradingHarness.StartAsync(Tapes.Mixed(3), new PaperBrokerOptions());
        whole.Broker.OnQuote(Call, 5.00, 5.10, bidSize: 1, askSize: 1);
        var (_, posted) = await whole.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"5","side":"buy","type":"market","time_in_force":"day"}""");
        Assert.Equal(("filled", "5"), (Str(posted, "status"), Str(posted, "filled_qty")));
        Assert.Equal(["new", "fill"], (await whole.NextUpdatesAsync(2)).Select(x => Str(x, "event")));
    }
}

// the sizes the stream shows are the sizes the broker fills against
public sealed class TapeQuoteSizeTests
{
    [Fact]
    public async Task Partial_fills_follow_the_displayed_sizes_on_the_stream()
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL");
        var ticks = Enumerable.Range(0, 8).Select(k => Tick.Quote(Tapes.T0 + k * 1_000_000L, aapl, 200 + k * 0.01, 200.02 + k * 0.01));
        await using var h = await TradingHarness.StartAsync(EmulatorTape.FromTicks(symbols, ticks), new PaperBrokerOptions { PartialFills = true }, quoteSize: (1, 4));
        // before the clock runs no quote is known: the order waits for the tape
        var (_, posted) = await h.PostOrderAsync("""{"symbol":"AAPL","qty":"12","side":"buy","type":"market","time_in_force":"day","client_order_id":"big"}""");
        Assert.Equal("new", posted.GetProperty("status").GetString());

        var data = await h.StartTapeAsync("AAPL");
        await h.WaitForTapeEndAsync();
        var shown = new List<(long Size, decimal Ask)>();
        while (shown.Count < 8)
        {
            using var frame = JsonDocument.Parse(await data.ReceiveTextAsync());
            foreach (var q in frame.RootElement.EnumerateArray())
                shown.Add((q.GetProperty("as").GetInt64(), Math.Round(q.GetProperty("ap").GetDecimal(), 4))); // the broker prices to 4 places
        }
        Assert.True(shown.Select(s => s.Size).Distinct().Count() > 1, "the sizes vary with the quote");
        Assert.All(shown, s => Assert.InRange(s.Size, 1, 4));

        // the expected executions: each quote's ask size until 12 are bought
        var expected = new List<(long Qty, decimal Price)>();
        long left = 12;
        foreach (var (size, ask) in shown)
        {
            if (left == 0) break;
            long take = Math.Min(size, left);
            expected.Add((take, ask));
            left -= take;
        }
        var updates = await h.NextUpdatesAsync(1 + expected.Count);
        var executions = updates.Skip(1).Select(u => (long.Parse(u.GetProperty("qty").GetString()!, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(u.GetProperty("price").GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(expected, executions);
        Assert.Equal(left == 0 ? "fill" : "partial_fill", updates[^1].GetProperty("event").GetString());
        Assert.Equal(12 - left, h.Broker.Position("AAPL")!.Qty);

        // deterministic: the same tape shows the same sizes again
        var again = new QuoteSizes(symbols, 1, 4);
        Assert.Equal(shown.Select(s => s.Size), Enumerable.Range(0, 8).Select(k => again.Of(aapl, Tapes.T0 + k * 1_000_000L).Ask));
    }
}
