using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>Each price rule alone (a book with just that rule), at and around its threshold; expected values by hand.</summary>
public class PriceRuleTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long S = 1_000_000_000;
    private const string Call = "SPY260220C00600000";
    private const string ShortPut = "SPY260220P00580000";
    private const string LongPut = "SPY260220P00575000";

    private static EngineHarness With(string rules, string positionsYaml)
    {
        var h = new EngineHarness($"""
            books:
              t:
                rules:
            {rules}
            """);
        h.Add(positionsYaml);
        return h;
    }

    private const string LongCall = $$"""
        positions:
          - id: C
            book: t
            legs: [ { symbol: {{Call}}, qty: 2, entry_price: 4.00 } ]
        """;

    private const string PutCredit = $$"""
        positions:
          - id: P
            book: t
            legs:
              - { symbol: {{ShortPut}}, qty: -10, entry_price: 2.10 }
              - { symbol: {{LongPut}}, qty: 10, entry_price: 0.90 }
        """;

    [Fact]
    public void Premium_stop_fires_at_minus_loss_pct_of_a_debit()
    {
        var h = With("      premium_stop: { loss_pct: 0.5 }", LongCall);
        Assert.Equal(0, h.Quote(T0, Call, 2.01, 2.03));          // 2.02: −49.5 %
        Assert.Equal(1, h.Quote(T0 + S, Call, 1.99, 2.01));      // 2.00: −50 %
        Assert.Equal(RuleId.PremiumStop, h.Last.Rule);
        Assert.Equal(-2.00 * 100 * 2, h.Last.Pnl, 6);
        Assert.Equal(-0.5, h.Last.PnlPct, 9);
    }

    [Fact]
    public void Premium_target_fires_at_gain_pct()
    {
        var h = With("      premium_target: { gain_pct: 0.5 }", LongCall);
        Assert.Equal(0, h.Quote(T0, Call, 5.97, 5.99));
        Assert.Equal(1, h.Quote(T0 + S, Call, 5.99, 6.01));
        Assert.Equal(RuleId.PremiumTarget, h.Last.Rule);
        Assert.Equal(400.0, h.Last.Pnl, 6);
        Assert.Equal("Premium target (+50%)", h.Last.Reason);
    }

    [Fact]
    public void Trailing_stop_activates_at_gain_then_trails_the_peak()
    {
        var h = With("      trailing_stop: { activate_gain_pct: 0.2, trail_pct: 0.15 }", LongCall);
        Assert.Equal(0, h.Quote(T0, Call, 4.69, 4.71));          // 4.70: +17.5 %, not active
        Assert.Equal(0, h.Quote(T0 + 1 * S, Call, 3.99, 4.01));  // falls: nothing (never active)
        Assert.Equal(0, h.Quote(T0 + 2 * S, Call, 4.79, 4.81));  // 4.80: +20 % → active, peak 4.80
        Assert.Equal(0, h.Quote(T0 + 3 * S, Call, 5.99, 6.01));  // peak 6.00
        Assert.Equal(0, h.Quote(T0 + 4 * S, Call, 5.11, 5.13));  // 5.12 > 6.00 × 0.85 = 5.10
        Assert.Equal(1, h.Quote(T0 + 5 * S, Call, 5.09, 5.11));  // 5.10
        Assert.Equal(RuleId.TrailingStop, h.Last.Rule);
        Assert.Equal((5.10 - 4.00) * 100 * 2, h.Last.Pnl, 6);
        Assert.True(h.Engine.TryGetState("C", out var st));
        Assert.Equal(600.0, st.TrailingPeakPerContract, 6);     // per contract: 6.00 × 100
    }

    [Fact]
    public void Credit_stop_fires_when_the_debit_to_close_reaches_the_multiple_of_the_credit()
    {
        var h = With("      credit_stop: { debit_multiple: 1.5 }", PutCredit);
        // credit 1.20 → stop at a 1.80 debit
        h.Quote(T0, LongPut, 0.59, 0.61);
        Assert.Equal(0, h.Quote(T0 + 1, ShortPut, 2.38, 2.40));  // 2.39 − 0.60 = 1.79
        Assert.Equal(1, h.Quote(T0 + S, ShortPut, 2.39, 2.41));  // 1.80
        Assert.Equal(RuleId.CreditStop, h.Last.Rule);
        Assert.Equal((10, 0), (h.Last.Closed, h.Last.Remaining));
        Assert.Equal(-0.60 * 100 * 10, h.Last.Pnl, 6);
        Assert.Equal(-0.5, h.Last.PctMaxProfit, 9);
        Assert.Equal((ShortPut, 10), (h.Last.Legs[0].Symbol, h.Last.Legs[0].Qty));   // buy back the shorts
        Assert.Equal((LongPut, -10), (h.Last.Legs[1].Symbol, h.Last.Legs[1].Qty));   // sell the longs
    }

    [Theory]
    [InlineData(0.0, 580.01, false)]
    [InlineData(0.0, 580.00, true)]
    [InlineData(0.0, 575.00, true)]   // beyond the strike
    [InlineData(1.0, 581.01, false)]
    [InlineData(1.0, 581.00, true)]
    public void Touch_fires_within_distance_of_a_short_put_strike(double distance, double spot, bool fires)
    {
        var h = With($"      touch: {{ distance: {distance} }}", PutCredit);
        Assert.Equal(fires ? 1 : 0, h.Quote(T0, "SPY", spot - 0.01, spot + 0.01));
        if (fires) Assert.Equal(RuleId.Touch, h.Last.Rule);
    }

    [Theory]
    [InlineData(619.99, false)]
    [InlineData(620.00, true)]
    public void Touch_on_a_short_call_is_at_or_above_the_strike(double spot, bool fires)
    {
        var h = With("      touch: {}", """
            positions:
              - id: CC
                book: t
                legs:
                  - { symbol: SPY260220C00620000, qty: -1, entry_price: 1.50 }
                  - { symbol: SPY260220C00625000, qty: 1, entry_price: 0.70 }
            """);
        Assert.Equal(fires ? 1 : 0, h.Quote(T0, "SPY", spot - 0.01, spot + 0.01));
    }

    [Fact]
    public void Underlying_move_fires_on_either_side_of_the_entry()
    {
        const string pos = $$"""
            positions:
              - id: C
                book: t
                underlying_entry: 600
                legs: [ { symbol: {{Call}}, qty: 2, entry_price: 4.00 } ]
            """;
        var up = With("      underlying_move: { up_pct: 0.05, down_pct: 0.03 }", pos);
        Assert.Equal(0, up.Quote(T0, "SPY", 629.98, 629.98));
        Assert.Equal(1, up.Quote(T0 + S, "SPY", 630.0, 630.0));
        Assert.Equal(RuleId.UnderlyingMove, up.Last.Rule);
        var down = With("      underlying_move: { up_pct: 0.05, down_pct: 0.03 }", pos);
        Assert.Equal(0, down.Quote(T0, "SPY", 582.02, 582.02));
        Assert.Equal(1, down.Quote(T0 + S, "SPY", 582.0, 582.0));
    }

    [Fact]
    public void Underlying_levels_of_a_bearish_position_are_mirrored()
    {
        var h = With("      underlying_stop: {}\n      underlying_target: {}", """
            positions:
              - id: LP
                book: t
                stop_underlying: 605
                target_underlying: 590
                legs: [ { symbol: SPY260220P00600000, qty: 1, entry_price: 8.00 } ]
            """);
        Assert.Equal(0, h.Quote(T0, "SPY", 600, 600));
        Assert.Equal(1, h.Quote(T0 + S, "SPY", 605, 605));     // a long put stops when the stock rises to the level
        Assert.Equal(RuleId.UnderlyingStop, h.Last.Rule);
    }

    [Fact]
    public void Delta_stop_fires_when_the_short_leg_delta_reaches_the_threshold_on_an_underlying_tick_with_the_last_iv()
    {
        // independent expectation: SPY options are American (no dividends configured: the ALO engine, since
        // the early-exercise premium of a 30-day put is material); the mark is the BSM price at σ = 0.20,
        // 30.25 days to the 16:00 expiry, r 0.04, and the engine solves the American IV of that mark
        double t = (Ny(2026, 2, 20, 16, 0) - T0) / (365.0 * 86400e9);
        double price600 = BlackScholes.Price(OptionRight.Put, 600, 580, t, 0.04, 0, 0.20);
        Assert.Equal(IvStatus.Ok, AmericanOption.TrySolveVol(OptionRight.Put, price600, 600, 580, t, 0.04, 0, out double iv));
        double delta600 = AmericanOption.Greeks(OptionRight.Put, 600, 580, t, 0.04, 0, iv).Delta;
        double delta588 = AmericanOption.Greeks(OptionRight.Put, 588, 580, t, 0.04, 0, iv).Delta;
        Assert.True(Math.Abs(delta600) < 0.30 && Math.Abs(delta588) >= 0.30, $"premise: {delta600} {delta588}");

        var h = With("      delta_stop: { short_delta: 0.30 }", """
            positions:
              - id: SP
                book: t
                legs: [ { symbol: SPY260220P00580000, qty: -1, entry_price: 6.00 } ]
            """);
        Assert.Equal(0, h.Quote(T0, "SPY", 600, 600));
        Assert.Equal(0, h.Quote(T0, ShortPut, price600 - 0.005, price600 + 0.005));
        // only the stock moves: Greeks are repriced with the new spot and the IV of the last option quote
        Assert.Equal(1, h.Quote(T0, "SPY", 588, 588));
        Assert.Equal(RuleId.DeltaStop, h.Last.Rule);
        Assert.Equal(-1 * 100 * delta588, h.Last.Greeks.Delta, 4);
        // the mark did not move with the stock: an option's mark comes from its own quotes
        Assert.Equal(price600, h.Last.Legs[0].Mark, 9);
    }

    [Fact]
    public void An_unsolvable_mark_keeps_the_last_iv_and_never_fires_a_false_delta_stop()
    {
        var h = With("      delta_stop: { short_delta: 0.30 }", """
            positions:
              - id: SP
                book: t
                legs: [ { symbol: SPY260220P00580000, qty: -1, entry_price: 6.00 } ]
            """);
        h.Quote(T0, "SPY", 560, 560);
        // 20 in the money, quoted at 5: below intrinsic, no IV → no Greeks → no delta stop
        Assert.Equal(0, h.Quote(T0 + S, ShortPut, 4.95, 5.05));
        Assert.True(h.Engine.Counters.IvFailures >= 1);
        Assert.True(h.Engine.TryGetSnapshot("SP", out var snap));
        Assert.True(double.IsNaN(snap.Greeks.Delta));
    }

    [Fact]
    public void Conservative_mark_values_longs_at_the_bid_and_shorts_at_the_ask()
    {
        var h = new EngineHarness("""
            books:
              t:
                mark: conservative
                rules:
                  scale_out: { min_contracts: 1, levels: [0.5] }
            """);
        h.Add(PutCredit);
        h.Quote(T0, LongPut, 0.30, 0.40);           // long valued at 0.30
        // mid of the short would be 0.80 (debit 0.45: 62 %), but the ask is 0.90: debit 0.60, exactly 50 %
        Assert.Equal(1, h.Quote(T0 + 1, ShortPut, 0.70, 0.90));
        Assert.Equal(0.5, h.Last.PctMaxProfit, 9);
        Assert.Equal(0.90, h.Last.Legs[0].Mark, 9);
        Assert.Equal(0.30, h.Last.Legs[1].Mark, 9);
    }

    [Fact]
    public void Last_mark_uses_trades_and_ignores_quotes()
    {
        var h = new EngineHarness("""
            books:
              t:
                mark: last
                rules:
                  premium_target: { gain_pct: 0.5 }
            """);
        h.Add(LongCall);
        Assert.Equal(0, h.Quote(T0, Call, 6.50, 6.60));  // a quote above target: not a mark in 'last' mode
        Assert.Equal(1, h.Trade(T0 + S, Call, 6.00));
        Assert.Equal(6.00, h.Last.Legs[0].Mark, 9);
    }

    [Fact]
    public void Exit_greeks_use_the_solved_iv_at_the_current_spot_even_without_delta_stop()
    {
        double t = (Ny(2026, 2, 20, 16, 0) - T0) / (365.0 * 86400e9);
        double price = BlackScholes.Price(OptionRight.Call, 600, 600, t, 0.04, 0, 0.25);
        var atSpot = BlackScholes.Greeks(OptionRight.Call, 600, 600, t, 0.04, 0, 0.25);
        var h = With("      premium_target: { gain_pct: 0.5 }", $$"""
            positions:
              - id: C
                book: t
                legs: [ { symbol: {{Call}}, qty: 2, entry_price: {{(price / 1.6).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}} } ]
            """);
        h.Quote(T0, "SPY", 600, 600);
        Assert.Equal(1, h.Quote(T0, Call, price, price));
        var g = h.Last.Greeks;
        Assert.Equal(2 * 100 * atSpot.Delta, g.Delta, 4);
        Assert.Equal(2 * 100 * atSpot.Gamma, g.Gamma, 6);
        Assert.Equal(2 * 100 * atSpot.Vega, g.Vega, 3);
        Assert.Equal(2 * 100 * atSpot.Theta, g.Theta, 3);
    }
}
