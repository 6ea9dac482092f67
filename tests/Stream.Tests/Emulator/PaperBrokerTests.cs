using System.Text;
using System.Text.Json;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

public sealed class PaperBrokerTests
{
    private const string Call = "SPY260220C00600000";
    private const string ShortPut = "SPY260220P00580000";
    private const string LongPut = "SPY260220P00575000";

    private readonly List<PaperTradeUpdate> _updates = [];
    private readonly PaperBroker _broker;

    public PaperBrokerTests()
    {
        _broker = new PaperBroker(() => 1_000);
        _broker.Update += _updates.Add;
    }

    private static PaperOrderRequest.Parsed Order(string json) => PaperOrderRequest.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_market_buy_fills_at_the_ask_and_opens_a_position()
    {
        _broker.OnQuote(Call, 2.10, 2.20);
        var o = _broker.Submit(Order("""{"symbol":"SPY260220C00600000","qty":"3","side":"buy","type":"market","time_in_force":"day","position_intent":"buy_to_open"}"""));
        Assert.Equal("filled", o.Status);
        Assert.Equal(2.20m, o.FilledAvgPrice);
        var p = Assert.Single(_broker.Positions());
        Assert.Equal((Call, 3L, 2.20m), (p.Symbol, p.Qty, p.AvgEntryPrice));
        Assert.Equal(["new", "fill"], _updates.Select(u => u.Event));
        using var fill = JsonDocument.Parse(_updates[1].Json);
        var data = fill.RootElement.GetProperty("data");
        Assert.Equal("3", data.GetProperty("position_qty").GetString());
        Assert.Equal("2.2", data.GetProperty("price").GetString());
        using var created = JsonDocument.Parse(_updates[0].Json);
        Assert.Equal("new", created.RootElement.GetProperty("data").GetProperty("order").GetProperty("status").GetString());
    }

    [Fact]
    public void A_market_order_without_a_quote_waits_for_one()
    {
        var o = _broker.Submit(Order("""{"symbol":"SPY260220C00600000","qty":"1","side":"buy","type":"market","time_in_force":"day"}"""));
        Assert.Equal("new", o.Status);
        _broker.OnQuote(Call, 1.0, 1.1);
        Assert.Equal("filled", o.Status);
        Assert.Equal(1.1m, o.FilledAvgPrice);
    }

    [Fact]
    public void A_limit_sell_fills_only_when_the_bid_reaches_it()
    {
        _broker.SetPosition(Call, 2, 1.50m);
        _broker.OnQuote(Call, 1.90, 2.00);
        var o = _broker.Submit(Order("""{"symbol":"SPY260220C00600000","qty":"2","side":"sell","type":"limit","limit_price":"2.05","time_in_force":"day","position_intent":"sell_to_close"}"""));
        Assert.Equal("new", o.Status);
        _broker.OnQuote(Call, 2.04, 2.10);
        Assert.Equal("new", o.Status);
        _broker.OnQuote(Call, 2.06, 2.12);
        Assert.Equal("filled", o.Status);
        Assert.Equal(2.06m, o.FilledAvgPrice);
        Assert.Empty(_broker.Positions());
    }

    [Fact]
    public void Closing_more_than_is_held_is_refused_with_403()
    {
        _broker.SetPosition(Call, 2, 1.50m);
        var e = Assert.Throws<TradingApiException>(() => _broker.Submit(Order("""{"symbol":"SPY260220C00600000","qty":"3","side":"sell","type":"market","time_in_force":"day","position_intent":"sell_to_close"}""")));
        Assert.Equal(403, e.Status);
        Assert.Contains("available: 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_credit_spread_closes_as_mleg_at_a_net_debit_limit()
    {
        _broker.SetPosition(ShortPut, -10, 2.10m);
        _broker.SetPosition(LongPut, 10, 0.90m);
        _broker.OnQuote(ShortPut, 0.60, 0.62);
        _broker.OnQuote(LongPut, 0.30, 0.31);
        // buy back the short at 0.62, sell the long at 0.30: net debit 0.32 per spread
        var o = _broker.Submit(Order("""
            {"order_class":"mleg","qty":"4","type":"limit","limit_price":"0.30","time_in_force":"day",
             "legs":[{"symbol":"SPY260220P00580000","ratio_qty":"1","side":"buy","position_intent":"buy_to_close"},
                     {"symbol":"SPY260220P00575000","ratio_qty":"1","side":"sell","position_intent":"sell_to_close"}]}
            """));
        Assert.Equal("new", o.Status);
        _broker.OnQuote(ShortPut, 0.58, 0.60); // net 0.30
        Assert.Equal("filled", o.Status);
        Assert.Equal(0.30m, o.FilledAvgPrice);
        Assert.Equal(-6, _broker.Position(ShortPut)!.Qty);
        Assert.Equal(6, _broker.Position(LongPut)!.Qty);
        using var fill = JsonDocument.Parse(_updates[^1].Json);
        var qtys = fill.RootElement.GetProperty("data").GetProperty("position_qtys");
        Assert.Equal("-6", qtys.GetProperty(ShortPut).GetString());
        Assert.Equal("6", qtys.GetProperty(LongPut).GetString());
    }

    [Theory]
    [InlineData("""{"order_class":"mleg","qty":"1","type":"market","time_in_force":"day","legs":[{"symbol":"SPY260220P00580000","ratio_qty":"2","side":"buy"},{"symbol":"SPY260220P00575000","ratio_qty":"2","side":"sell"}]}""", "gcd")]
    [InlineData("""{"order_class":"mleg","qty":"1","type":"market","time_in_force":"day","legs":[{"symbol":"SPY260220P00580000","ratio_qty":"1","side":"buy"}]}""", "2 to 4 legs")]
    [InlineData("""{"symbol":"SPY260220C00600000","qty":"1.5","side":"buy","type":"market","time_in_force":"day"}""", "whole number")]
    [InlineData("""{"symbol":"SPY260220C00600000","qty":"1","side":"buy","type":"trailing_stop","time_in_force":"day"}""", "trailing_stop")]
    [InlineData("""{"symbol":"SPY260220C00600000","qty":"1","side":"buy","type":"limit","time_in_force":"day"}""", "limit_price is required")]
    [InlineData("""{"symbol":"SPY260220C00600000","qty":"1","side":"hold","type":"market","time_in_force":"day"}""", "side")]
    [InlineData("""{"symbol":"SPY260220C00600000","qty":"1","side":"buy","type":"market","time_in_force":"gtc"}""", "time_in_force")]
    public void Invalid_orders_are_422_naming_the_problem(string json, string named)
    {
        var e = Assert.Throws<TradingApiException>(() => Order(json));
        Assert.Equal(422, e.Status);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Closing_a_position_by_percentage_sends_a_market_order_with_the_close_intent()
    {
        _broker.SetPosition(ShortPut, -10, 2.10m);
        _broker.OnQuote(ShortPut, 0.60, 0.62);
        var o = _broker.ClosePosition(ShortPut, null, 40m);
        Assert.Equal("filled", o.Status);
        Assert.Equal(4, o.Qty);
        Assert.Equal(("buy", "buy_to_close"), (o.Legs[0].Side, o.Legs[0].PositionIntent));
        Assert.Equal(-6, _broker.Position(ShortPut)!.Qty);
        Assert.Equal(2.10m, _broker.Position(ShortPut)!.AvgEntryPrice); // reducing keeps the entry price
    }
}
