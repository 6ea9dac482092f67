using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Alpaca.Trading;
namespace Streamer.Stream.Tests.Trading;

public sealed class ExitOrdersTests
{
    [Fact]
    public void A_single_leg_exit_is_a_simple_closing_order_keyed_by_the_exit_id()
    {
        var o = ExitOrders.Build("META-1:1", [("META260220C00720000", -6)]);
        var leg = Assert.Single(o.Legs);
        Assert.Equal(("sell", "sell_to_close", 1), (leg.Side, leg.PositionIntent, leg.RatioQty));
        Assert.Equal((6L, (decimal?)null, "META-1:1"), (o.Qty, o.LimitPrice, o.ClientOrderId));
    }

    [Fact]
    public void A_spread_scale_out_is_an_mleg_with_gcd_one_ratios()
    {
        // formats.md's example: closing 4 of a put credit spread
        var o = ExitOrders.Build("SPY-PCS-1:2", [("SPY260220P00580000", 4), ("SPY260220P00575000", -4)], limitPerUnit: 0.32m);
        Assert.Equal(4, o.Qty);
        Assert.Equal([("buy", "buy_to_close", 1), ("sell", "sell_to_close", 1)], o.Legs.Select(l => (l.Side, l.PositionIntent, l.RatioQty)));
        Assert.Equal(0.32m, o.LimitPrice);

        var fly = ExitOrders.Build("FLY:1", [("SPY260220C00590000", -2), ("SPY260220C00595000", 4), ("SPY260220C00600000", -2)]);
        Assert.Equal(2, fly.Qty);
        Assert.Equal([1, 2, 1], fly.Legs.Select(l => l.RatioQty));
    }

    [Fact]
    public void Impossible_exits_are_refused_with_the_reason()
    {
        Assert.Contains("1 to 4 legs", Assert.Throws<ArgumentException>(() => ExitOrders.Build("X:1", [("A", 1), ("B", 1), ("C", 1), ("D", 1), ("E", 1)])).Message, StringComparison.Ordinal);
        Assert.Contains("qty 0", Assert.Throws<ArgumentException>(() => ExitOrders.Build("X:1", [("A", 0)])).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => ExitOrders.Build("X:1", [("A", 1), ("A", -1)])).Message, StringComparison.Ordinal);
        Assert.Contains("128", Assert.Throws<ArgumentException>(() => ExitOrders.Build(new string('x', 129), [("A", 1)])).Message, StringComparison.Ordinal);
    }
}
