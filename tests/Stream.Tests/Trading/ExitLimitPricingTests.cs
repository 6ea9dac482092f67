using System.Text;
using Streamer.Rules.Engine;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Alpaca.Trading;
namespace Streamer.Stream.Tests.Trading;

/// <summary>
/// The executor's marketable limit (<c>Alpaca:OrderType=limit</c>): expected prices worked by hand in the comments
/// (net N per unit, allowance a = max(f × |N|, $0.01 × attempt), f = min(slippage × 2^(attempt−1), max),
/// limit = N + a rounded up to the cent in the + debit / − credit convention).
/// </summary>
public sealed class ExitLimitPricingTests
{
    private const string C600 = "SPY260220C00600000";
    private const string P580 = "SPY260220P00580000";
    private const string P575 = "SPY260220P00575000";

    private static ExitOrderPrice Price(int attempt, decimal slippage, params ExitLeg[] legs) =>
        ExitLimitPricing.Price(legs, slippage, 0.25m, attempt);

    /// <summary>an exit event's leg as the executor reads it back: no symbol id, NaN for no mark.</summary>
    private static ExitLeg Leg(string symbol, int qty, double? mark) => new() { Symbol = symbol, Qty = qty, Mark = mark ?? double.NaN };

    [Fact]
    public void A_long_option_sold_to_close_accepts_the_mark_less_the_allowance_rounded_down()
    {
        // sell 3 at mark 3.10, 5 %: a = 0.155 → 3.10 − 0.155 = 2.945 → 2.94 (down: accepting less is the marketable side)
        var p = Price(1, 0.05m, Leg(C600, -3, 3.10));
        Assert.Equal((2.94m, 3.10m, 0.155m), (p.LimitPrice, p.NetMark, p.Allowance));
        Assert.Null(p.MarketReason);
        var order = ExitOrders.Build("C-1:1", [(C600, -3)], p.LimitPrice);
        Assert.Equal(("sell", 3L, 2.94m), (order.Legs[0].Side, order.Qty, order.LimitPrice));
    }

    [Fact]
    public void A_short_option_bought_to_close_pays_the_mark_plus_the_allowance_rounded_up()
    {
        // buy 2 at mark 0.43, 5 %: a = max(0.0215, 0.01) = 0.0215 → 0.4515 → 0.46 (up: paying more is the marketable side)
        var p = Price(1, 0.05m, Leg(P580, 2, 0.43));
        Assert.Equal((0.46m, 0.0215m), (p.LimitPrice, p.Allowance));
    }

    [Fact]
    public void A_credit_spread_closed_for_a_debit_has_a_positive_limit_above_its_net_mark()
    {
        // formats.md's example: buy 4 × 580P @ 0.61, sell 4 × 575P @ 0.31 → per unit (gcd 4, ratios 1:1) N = +0.30 debit;
        // 5 %: a = max(0.015, 0.01) = 0.015 → 0.315 → 0.32
        var p = Price(1, 0.05m, Leg(P580, 4, 0.61), Leg(P575, -4, 0.31));
        Assert.Equal((0.32m, 0.30m), (p.LimitPrice, p.NetMark));
        var order = ExitOrders.Build("SPY-PCS-1:2", [(P580, 4), (P575, -4)], p.LimitPrice);
        Assert.Equal((4L, 0.32m), (order.Qty, order.LimitPrice));
    }

    [Fact]
    public void A_debit_spread_closed_for_a_credit_has_a_negative_limit_rounded_towards_a_smaller_credit()
    {
        // sell 2 × 580P @ 2.055, buy 2 × 575P @ 0.8425 → N = −2.055 + 0.8425 = −1.2125 (a credit of 1.2125);
        // 5 %: a = 0.060625 → −1.151875 → up to −1.15 (a credit of at least 1.15; −1.16 would be less marketable)
        var p = Price(1, 0.05m, Leg(P580, -2, 2.055), Leg(P575, 2, 0.8425));
        Assert.Equal((-1.15m, -1.2125m, 0.060625m), (p.LimitPrice, p.NetMark, p.Allowance));
    }

    [Fact]
    public void Ratios_are_per_strategy_unit()
    {
        // closing a long call butterfly 2/4/2: sell 2 @ 12.40, buy 4 @ 8.10, sell 2 @ 4.50; unit 2, ratios 1:2:1
        // N = −12.40 + 2 × 8.10 − 4.50 = −0.70; 10 %: a = 0.07 → −0.63
        var p = Price(1, 0.10m, Leg("SPY260220C00590000", -2, 12.40), Leg("SPY260220C00595000", 4, 8.10), Leg(C600, -2, 4.50));
        Assert.Equal((-0.63m, -0.70m), (p.LimitPrice, p.NetMark));
    }

    [Fact]
    public void Rounding_goes_to_the_marketable_side_not_the_nearest_cent_and_an_exact_cent_stays()
    {
        // buy @ 1.2301, slippage 0: a = the one-cent floor → 1.2401 → 1.25 (nearest would be 1.24)
        Assert.Equal(1.25m, Price(1, 0m, Leg(P580, 1, 1.2301)).LimitPrice);
        // sell @ 1.2399, slippage 0: 1.2299 → 1.22 (nearest would be 1.23)
        Assert.Equal(1.22m, Price(1, 0m, Leg(P580, -1, 1.2399)).LimitPrice);
        // buy @ 2.00, 5 % = 0.10 → exactly 2.10; sell → exactly 1.90
        Assert.Equal(2.10m, Price(1, 0.05m, Leg(P580, 1, 2.00)).LimitPrice);
        Assert.Equal(1.90m, Price(1, 0.05m, Leg(P580, -1, 2.00)).LimitPrice);
    }

    [Fact]
    public void Cheap_contracts_move_at_least_a_cent_per_attempt_and_a_sell_never_goes_below_a_cent()
    {
        // buy @ 0.04, 5 % = 0.002 < a cent: attempts 1, 2, 3 allow 0.01, 0.02, 0.03 → 0.05, 0.06, 0.07
        Assert.Equal([0.05m, 0.06m, 0.07m], new[] { 1, 2, 3 }.Select(n => Price(n, 0.05m, Leg(P580, 1, 0.04)).LimitPrice!.Value));
        // sell @ 0.01: 0.01 − 0.01 = 0 → a cent (Alpaca refuses a limit of 0); a mark of 0 sells at a cent too
        Assert.Equal(0.01m, Price(1, 0.05m, Leg(P580, -1, 0.01)).LimitPrice);
        Assert.Equal(0.01m, Price(1, 0.05m, Leg(P580, -1, 0)).LimitPrice);
        // an mleg netting exactly 0 after the allowance: +0.01 (one cent more marketable), never a zero limit
        // sell @ 0.50, buy @ 0.49: N = −0.01, a = 0.01 → 0 → 0.01
        Assert.Equal(0.01m, Price(1, 0.05m, Leg(P580, -1, 0.50), Leg(P575, 1, 0.49)).LimitPrice);
    }

    [Fact]
    public void Each_retry_doubles_the_fraction_up_to_the_cap()
    {
        // N = +0.30 (the credit spread above), 5 % capped at 25 %: f = 5, 10, 20, 25, 25 %
        // a = 0.015, 0.03, 0.06, 0.075, 0.075 → 0.315, 0.33, 0.36, 0.375, 0.375 → 0.32, 0.33, 0.36, 0.38, 0.38
        // (the cent floor 0.01 × n is below each: 0.01 … 0.05)
        ExitLeg[] spread = [Leg(P580, 4, 0.61), Leg(P575, -4, 0.31)];
        Assert.Equal([0.32m, 0.33m, 0.36m, 0.38m, 0.38m], new[] { 1, 2, 3, 4, 5 }.Select(n => Price(n, 0.05m, spread).LimitPrice!.Value));
        // the same for a sell: 3.10 − 0.155, − 0.31, − 0.62, − 0.775 → 2.94, 2.79, 2.48, 2.32
        Assert.Equal([2.94m, 2.79m, 2.48m, 2.32m], new[] { 1, 2, 3, 4 }.Select(n => Price(n, 0.05m, Leg(C600, -1, 3.10)).LimitPrice!.Value));
        Assert.Equal(0.25m, ExitLimitPricing.Fraction(0.05m, 0.25m, 101)); // many retries: capped, no overflow
    }

    [Fact]
    public void A_leg_without_a_mark_falls_back_to_a_market_order_naming_it()
    {
        var p = Price(1, 0.05m, Leg(P580, 4, 0.61), Leg(P575, -4, null));
        Assert.Null(p.LimitPrice);
        Assert.Equal($"no mark for {P575} in the exit event", p.MarketReason);
        Assert.Null(ExitOrders.Build("X:1", [(P580, 4), (P575, -4)], p.LimitPrice).LimitPrice);
    }

    [Fact]
    public void Marks_are_read_from_the_exit_event_null_or_unusable_ones_as_missing()
    {
        // what ExitEventJson writes: a NaN mark (no price seen) is null
        var payload = Encoding.UTF8.GetBytes($$"""{"id":"X:1","legs":[{"symbol":"{{P580}}","qty":4,"mark":0.61},{"symbol":"{{P575}}","qty":-4,"mark":null},{"symbol":"A","qty":-1,"mark":-1},{"symbol":"B","qty":1}]}""");
        Assert.Equal(
            [Leg(P580, 4, 0.61), Leg(P575, -4, null), Leg("A", -1, null), Leg("B", 1, null)],
            ExitExecutor.ExitLegsWithMarks(payload));
    }
}
