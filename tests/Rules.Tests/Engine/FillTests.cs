using System.Globalization;
using Streamer.Rules.Engine;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>Fills on a monitored position: baskets of legs form whole strategy units, which grow or shrink it.</summary>
public class FillTests
{
    private const string ScaleOnly = """
        books:
          so:
            rules:
              scale_out: {}
        """;

    private const string Short = "SPY260220P00580000";
    private const string Long = "SPY260220P00575000";
    private const string Id = "SPY-PCS-1";
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);

    private static string Spread(int qty, double shortEntry = 2.10, double longEntry = 0.90) => string.Create(CultureInfo.InvariantCulture, $$"""
        positions:
          - id: {{Id}}
            book: so
            opened_at: 2026-01-05T15:00:00Z
            legs:
              - { symbol: {{Short}}, qty: {{-qty}}, entry_price: {{shortEntry}} }
              - { symbol: {{Long}}, qty: {{qty}}, entry_price: {{longEntry}} }
        """);

    private static EngineHarness With(int qty)
    {
        var h = new EngineHarness(ScaleOnly);
        h.Add(Spread(qty));
        return h;
    }

    private static PositionState State(EngineHarness h)
    {
        Assert.True(h.Engine.TryGetState(Id, out var s));
        return s;
    }

    private static int Marks(EngineHarness h, long t, double shortMid, double longMid)
    {
        int n = h.Quote(t, Long, longMid - 0.01, longMid + 0.01);
        return n + h.Quote(t + 1, Short, shortMid - 0.01, shortMid + 0.01);
    }

    [Fact]
    public void A_spread_grows_only_when_both_legs_have_filled_and_its_entry_is_the_average_of_old_and_new()
    {
        var h = With(4);
        var first = h.Engine.ApplyFill(Id, Long, 6, 1.00, ordinal: 1);
        Assert.Equal(FillEffect.Held, first.Effect);
        Assert.Equal(4, State(h).ContractsRemaining);

        var second = h.Engine.ApplyFill(Id, Short, -6, 2.30, ordinal: 2);
        Assert.Equal(new FillResult(FillEffect.Resized, 6, null), second);
        var s = State(h);
        Assert.Equal((10, 10, 2L), (s.ContractsOriginal, s.ContractsRemaining, s.FillWatermark));

        var legs = h.Engine.DefinitionLegs(Id)!;
        Assert.Equal(Short, legs[0].Symbol);
        Assert.Equal(-10, legs[0].Qty);
        Assert.Equal((2.10 * 4 + 2.30 * 6) / 10, legs[0].EntryPrice, 12);   // 2.22
        Assert.Equal(10, legs[1].Qty);
        Assert.Equal((0.90 * 4 + 1.00 * 6) / 10, legs[1].EntryPrice, 12);   // 0.96
    }

    [Fact]
    public void After_a_grow_the_scale_out_plan_is_the_new_sizes_and_levels_use_the_averaged_credit()
    {
        var h = With(4);
        h.Engine.ApplyFill(Id, Long, 6, 1.00, 1);
        h.Engine.ApplyFill(Id, Short, -6, 2.30, 2);
        // credit now 2.22 − 0.96 = 1.26 per unit; 50 % of max = a debit to close of 0.63.
        // 0.65 (48 % of 1.26) must not fire; on the old 1.20 credit it would have been 46 %, on neither 50 %.
        Assert.Equal(0, Marks(h, T0, 1.00, 0.35));
        Assert.Equal(1, Marks(h, T0 + 1_000_000_000, 0.95, 0.32));        // 0.63 → 50 %
        // 10 units: round_half_up(0.4 × 10) = 4, not the 4-unit plan's 2
        Assert.Equal(4, h.Last.Closed);
        Assert.Equal(6, h.Last.Remaining);
        Assert.Equal(10, h.Last.Original);
    }

    [Fact]
    public void A_closing_pair_of_fills_reduces_the_spread_and_books_the_realized_pnl_of_each_leg()
    {
        var h = With(4);
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Short, 1, 1.00, 1).Effect);
        var r = h.Engine.ApplyFill(Id, Long, -1, 0.40, 2);
        Assert.Equal(new FillResult(FillEffect.Resized, -1, null), r);
        var s = State(h);
        Assert.Equal((4, 3), (s.ContractsOriginal, s.ContractsRemaining));
        // short bought back 1.10 below its 2.10 credit (+110), long sold 0.50 below its 0.90 cost (−50)
        Assert.Equal(60.0, s.RealizedPnl, 9);
        // the definition keeps what was held: a reduce changes neither quantities nor entries
        var legs = h.Engine.DefinitionLegs(Id)!;
        Assert.Equal((-4L, 2.10), (legs[0].Qty, legs[0].EntryPrice));
    }

    [Fact]
    public void Closing_everything_by_fills_closes_the_position_and_no_rule_fires_afterwards()
    {
        var h = With(2);
        h.Engine.ApplyFill(Id, Short, 2, 0.50, 1);
        Assert.Equal(-2, h.Engine.ApplyFill(Id, Long, -2, 0.20, 2).Units);
        Assert.True(State(h).Closed);
        Assert.Equal(0, h.Engine.OpenPositionCount);
        Assert.Equal(0, Marks(h, T0, 0.10, 0.02));                          // 90 %+ of max: would fire if still open
        Assert.Equal(FillEffect.Rejected, h.Engine.ApplyFill(Id, Long, 1, 0.20, 3).Effect);
    }

    [Fact]
    public void Legs_out_of_ratio_wait_until_they_form_whole_units()
    {
        var h = With(1);
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Long, 2, 1.00, 1).Effect);
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Short, -1, 2.20, 2).Effect);   // 2 long vs 1 short: not whole units
        Assert.Equal(1, State(h).ContractsRemaining);
        Assert.Equal(2, h.Engine.ApplyFill(Id, Short, -1, 2.40, 3).Units);
        Assert.Equal(3, State(h).ContractsRemaining);
        Assert.Equal((2.10 + 2.20 + 2.40) / 3, h.Engine.DefinitionLegs(Id)![0].EntryPrice, 12);
    }

    [Fact]
    public void A_leg_bought_and_sold_back_inside_the_basket_leaves_nothing_in_later_entry_prices()
    {
        var h = With(1);
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Long, 2, 1.00, 1).Effect);
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Long, -2, 3.00, 2).Effect);   // nets to nothing
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Long, 1, 1.10, 3).Effect);
        Assert.Equal(1, h.Engine.ApplyFill(Id, Short, -1, 2.30, 4).Units);
        // the long leg's new unit cost 1.10, not a blend with the 1.00/3.00 round trip
        Assert.Equal((0.90 + 1.10) / 2, h.Engine.DefinitionLegs(Id)![1].EntryPrice, 12);
    }

    [Fact]
    public void A_closing_fill_larger_than_what_is_open_closes_what_is_open_and_says_by_how_much()
    {
        var h = new EngineHarness();
        h.Add("""
            positions:
              - id: C-1
                book: day_trade
                legs: [ { symbol: META260220C00720000, qty: 3, entry_price: 10.00 } ]
            """);
        var r = h.Engine.ApplyFill("C-1", "META260220C00720000", -5, 12.00, 1);
        Assert.Equal(FillEffect.Resized, r.Effect);
        Assert.Equal(-3, r.Units);
        Assert.Contains("but 3 were open", r.Message, StringComparison.Ordinal);
        Assert.Contains("2 not explained", r.Message, StringComparison.Ordinal);
        Assert.True(h.Engine.TryGetState("C-1", out var s));
        Assert.True(s.Closed);
        Assert.Equal(600.0, s.RealizedPnl, 9);                               // 3 × (12 − 10) × 100
    }

    [Fact]
    public void A_symbol_that_is_not_a_leg_an_applied_ordinal_and_an_unknown_position_change_nothing()
    {
        var h = With(4);
        var before = State(h);
        var notLeg = h.Engine.ApplyFill(Id, "SPY260220P00570000", 1, 0.5, 1);
        Assert.Equal(FillEffect.Rejected, notLeg.Effect);
        Assert.Contains("SPY260220P00570000 is not a leg", notLeg.Message, StringComparison.Ordinal);
        Assert.Equal(FillEffect.Rejected, h.Engine.ApplyFill("nope", Long, 1, 0.5, 2).Effect);
        Assert.Equal(FillEffect.Rejected, h.Engine.ApplyFill(Id, Long, 1, double.NaN, 3).Effect);
        Assert.Equal(before, State(h));

        h.Engine.ApplyFill(Id, Long, 1, 1.0, 10);
        h.Engine.ApplyFill(Id, Short, -1, 2.0, 11);
        var grown = State(h);
        Assert.Equal(11, grown.FillWatermark);
        // a fill at or below the watermark was applied already (a restart feeding it again): ignored
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Long, 1, 1.0, 11).Effect);
        Assert.Equal(FillEffect.Held, h.Engine.ApplyFill(Id, Short, -1, 2.0, 5).Effect);
        Assert.Equal(grown, State(h));
    }

    [Fact]
    public void A_grown_position_restores_from_its_new_definition_and_state()
    {
        var h = With(4);
        h.Engine.ApplyFill(Id, Long, 6, 1.00, 1);
        h.Engine.ApplyFill(Id, Short, -6, 2.30, 2);
        var state = State(h);
        var legs = h.Engine.DefinitionLegs(Id)!;

        var restarted = new EngineHarness(ScaleOnly);
        restarted.Add(Spread((int)legs[1].Qty, legs[0].EntryPrice, legs[1].EntryPrice));
        restarted.Engine.RestoreState(Id, state);
        Assert.True(restarted.Engine.TryGetState(Id, out var restored));
        Assert.Equal(state, restored);
        // and it decides what the original decides
        Assert.Equal(Marks(h, T0, 0.95, 0.32), Marks(restarted, T0, 0.95, 0.32));
        Assert.Equal(h.Last.Summary, restarted.Last.Summary);
    }
}
