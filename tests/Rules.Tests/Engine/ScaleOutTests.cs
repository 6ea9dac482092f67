using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

public class ScaleOutTests
{
    private const string ScaleOnly = """
        books:
          so:
            rules:
              scale_out: {}
        """;

    private const string Short = "SPY260220P00580000";
    private const string Long = "SPY260220P00575000";
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);   // a Wednesday, EST

    private static string Spread(int qty, string book = "so") => $$"""
        positions:
          - id: SPY-PCS-1
            book: {{book}}
            opened_at: 2026-01-05T15:00:00Z
            legs:
              - { symbol: {{Short}}, qty: {{-qty}}, entry_price: 2.10 }
              - { symbol: {{Long}}, qty: {{qty}}, entry_price: 0.90 }
        """;

    /// <summary>Moves both marks (mid = the given price) without passing through a better state: the long leg first when the spread improves.</summary>
    private static int Marks(EngineHarness h, long t, double shortMid, double longMid)
    {
        int n = h.Quote(t, Long, longMid - 0.01, longMid + 0.01);
        return n + h.Quote(t + 1, Short, shortMid - 0.01, shortMid + 0.01);
    }

    /// <summary>The spread worsens: the short leg first.</summary>
    private static int MarksWorse(EngineHarness h, long t, double shortMid, double longMid)
    {
        int n = h.Quote(t, Short, shortMid - 0.01, shortMid + 0.01);
        return n + h.Quote(t + 1, Long, longMid - 0.01, longMid + 0.01);
    }

    // expected sizes worked by hand from rules.md: round_half_up(0.4 × n), ≥ 1, ≤ open, the last is the remainder; < 3 → one exit
    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(2, new[] { 2 })]
    [InlineData(3, new[] { 1, 1, 1 })]
    [InlineData(4, new[] { 2, 2, 0 })]
    [InlineData(5, new[] { 2, 2, 1 })]
    [InlineData(6, new[] { 2, 2, 2 })]
    [InlineData(7, new[] { 3, 3, 1 })]
    [InlineData(8, new[] { 3, 3, 2 })]
    [InlineData(9, new[] { 4, 4, 1 })]
    [InlineData(10, new[] { 4, 4, 2 })]
    [InlineData(11, new[] { 4, 4, 3 })]
    [InlineData(12, new[] { 5, 5, 2 })]
    public void Tranche_sizes_follow_round_half_up_of_the_original_count(int contracts, int[] expected)
    {
        var p = BookParameters.Defaults;
        Span<int> sizes = stackalloc int[4];
        Span<double> levels = stackalloc double[4];
        int n = ScaleOutPlan.Compute(contracts, p, sizes, levels);
        Assert.Equal(expected, sizes[..n].ToArray());
        Assert.Equal(expected.Length == 1 ? new[] { 0.5 } : new[] { 0.5, 0.75, 0.9 }, levels[..n].ToArray());
    }

    [Fact]
    public void Ten_lot_put_credit_closes_4_4_2_at_50_75_90_percent_of_max_and_each_tranche_once()
    {
        var h = new EngineHarness(ScaleOnly);
        h.Add(Spread(10));
        Assert.Equal(0, Marks(h, T0, 2.10, 0.90));      // at entry: pct 0

        // credit 1.20; debit to close 0.60 → 50 % of max
        Assert.Equal(1, Marks(h, T0 + 1_000_000_000, 0.90, 0.30));
        var first = h.Last;
        Assert.Equal("SPY-PCS-1:1", first.Id);
        Assert.Equal(RuleId.ScaleOut, first.Rule);
        Assert.Equal("Profit target (50% of max)", first.Reason);
        Assert.Equal((4, 6, 10), (first.Closed, first.Remaining, first.Original));
        Assert.Equal(240.0, first.Pnl, 6);                              // (1.20 − 0.60) × 100 × 4
        Assert.Equal((Short, 4, 0.90), (first.Legs[0].Symbol, first.Legs[0].Qty, Math.Round(first.Legs[0].Mark, 10)));
        Assert.Equal((Long, -4, 0.30), (first.Legs[1].Symbol, first.Legs[1].Qty, Math.Round(first.Legs[1].Mark, 10)));

        // formats.md's example: 0.61 / 0.31 → debit 0.30 → 75 % of max
        Assert.Equal(1, Marks(h, T0 + 2_000_000_000, 0.61, 0.31));
        var second = h.Last;
        Assert.Equal("SPY-PCS-1:2", second.Id);
        Assert.Equal((4, 2, 10), (second.Closed, second.Remaining, second.Original));
        Assert.Equal(-120.0, second.Value, 6);
        Assert.Equal(360.0, second.Pnl, 6);
        Assert.Equal(0.75, second.PnlPct, 9);
        Assert.Equal(0.75, second.PctMaxProfit, 9);
        Assert.Equal("CLOSING: SPY put_credit - Profit target (75% of max) - P&L: $360.00 - Closed 4/10 contracts", second.LogLine);

        // profit dips and recovers: the 50 % and 75 % tranches do not fire again
        Assert.Equal(0, MarksWorse(h, T0 + 3_000_000_000, 1.30, 0.50));
        Assert.Equal(0, Marks(h, T0 + 4_000_000_000, 0.61, 0.31));

        // debit 0.12 → 90 %: the remainder (2)
        Assert.Equal(1, Marks(h, T0 + 5_000_000_000, 0.20, 0.08));
        var third = h.Last;
        Assert.Equal("SPY-PCS-1:3", third.Id);
        Assert.Equal((2, 0, 10), (third.Closed, third.Remaining, third.Original));
        Assert.Equal(216.0, third.Pnl, 6);
        Assert.True(h.Engine.TryGetState("SPY-PCS-1", out var state));
        Assert.True(state.Closed);
        Assert.Equal(240 + 360 + 216, state.RealizedPnl, 6);

        // closed: never evaluated again
        Assert.Equal(0, Marks(h, T0 + 6_000_000_000, 0.01, 0.005));
        Assert.Equal(3, h.Exits.Count);
    }

    [Theory]
    [InlineData(7, new[] { 3, 3, 1 })]
    [InlineData(5, new[] { 2, 2, 1 })]
    [InlineData(3, new[] { 1, 1, 1 })]
    [InlineData(4, new[] { 2, 2 })]      // the 75 % tranche leaves nothing for 90 %
    public void Engine_closes_the_planned_tranches(int contracts, int[] expected)
    {
        var h = new EngineHarness(ScaleOnly);
        h.Add(Spread(contracts));
        Marks(h, T0, 2.10, 0.90);
        Marks(h, T0 + 1_000_000_000, 0.90, 0.30);
        Marks(h, T0 + 2_000_000_000, 0.61, 0.31);
        Marks(h, T0 + 3_000_000_000, 0.20, 0.08);
        Assert.Equal(expected, h.Exits.Select(e => e.Closed).ToArray());
        Assert.Equal(0, h.Exits[^1].Remaining);
    }

    [Fact]
    public void Below_min_contracts_one_exit_of_everything_at_50_percent()
    {
        var h = new EngineHarness(ScaleOnly);
        h.Add(Spread(2));
        Marks(h, T0, 2.10, 0.90);
        Assert.Equal(0, Marks(h, T0 + 1_000_000_000, 1.00, 0.35));    // debit 0.65: 45.8 %
        Assert.Equal(1, Marks(h, T0 + 2_000_000_000, 0.90, 0.30));    // 50 %
        Assert.Equal((2, 0), (h.Last.Closed, h.Last.Remaining));
        Assert.Equal("Profit target (50% of max)", h.Last.Reason);
        Assert.Equal(2 * 60.0, h.Last.Pnl, 6);
    }

    [Fact]
    public void A_jump_past_several_levels_closes_those_tranches_in_one_exit()
    {
        var h = new EngineHarness(ScaleOnly);
        h.Add(Spread(10));
        Marks(h, T0, 2.10, 0.90);
        Assert.Equal(1, Marks(h, T0 + 1_000_000_000, 0.45, 0.15));    // debit 0.30: 75 % at once
        Assert.Equal((8, 2), (h.Last.Closed, h.Last.Remaining));
        Assert.Equal("Profit target (75% of max)", h.Last.Reason);
        Assert.Equal(1, Marks(h, T0 + 2_000_000_000, 0.10, 0.04));    // 95 %
        Assert.Equal((2, 0), (h.Last.Closed, h.Last.Remaining));
    }

    [Fact]
    public void Debit_positions_scale_out_by_gain_pct()
    {
        var h = new EngineHarness(ScaleOnly);
        h.Add("""
            positions:
              - id: CALL
                book: so
                legs: [ { symbol: SPY260220C00600000, qty: 10, entry_price: 2.00 } ]
            """);
        h.Quote(T0, "SPY260220C00600000", 1.99, 2.01);
        Assert.Equal(1, h.Quote(T0 + 1, "SPY260220C00600000", 2.99, 3.01));   // +50 %
        Assert.Equal("Profit target (+50% gain)", h.Last.Reason);
        Assert.Equal((4, 6), (h.Last.Closed, h.Last.Remaining));
        Assert.Equal(-4, h.Last.Legs[0].Qty);                                  // selling the long calls
        Assert.Equal(400.0, h.Last.Pnl, 6);
        Assert.Equal(0.5, h.Last.PnlPct, 9);
        Assert.True(double.IsNaN(h.Last.PctMaxProfit));
    }
}
