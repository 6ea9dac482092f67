using Streamer.Rules.Books;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

public class MultiLegTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long S = 1_000_000_000;
    private const string P575 = "SPY260220P00575000", P570 = "SPY260220P00570000", C620 = "SPY260220C00620000", C625 = "SPY260220C00625000";

    private static string Condor(string book, string extra = "") => $$"""
        positions:
          - id: IC
            book: {{book}}
        {{extra}}
            legs:
              - { symbol: {{P575}}, qty: -4, entry_price: 0.90 }
              - { symbol: {{P570}}, qty: 4, entry_price: 0.45 }
              - { symbol: {{C620}}, qty: -4, entry_price: 1.50 }
              - { symbol: {{C625}}, qty: 4, entry_price: 0.70 }
        """;

    private static void MarkAll(EngineHarness h, long t, double p575, double p570, double c620, double c625)
    {
        // the longs first: every intermediate state is worse for the condor than the final one
        h.Quote(t, P570, p570 - 0.01, p570 + 0.01);
        h.Quote(t, C625, c625 - 0.01, c625 + 0.01);
        h.Quote(t, P575, p575 - 0.01, p575 + 0.01);
        h.Quote(t, C620, c620 - 0.01, c620 + 0.01);
    }

    [Fact]
    public void Iron_condor_credit_and_scale_out_on_all_four_legs()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      scale_out: {}\n");
        h.Add(Condor("t"));
        // credit (0.90 − 0.45 + 1.50 − 0.70) = 1.25; half of it is a 0.625 debit to close
        MarkAll(h, T0, 0.90, 0.45, 1.50, 0.70);
        Assert.Empty(h.Exits);
        MarkAll(h, T0 + S, 0.40, 0.20, 0.70, 0.275);   // debit 0.20 + 0.425 = 0.625 → 50 %
        var e = Assert.Single(h.Exits);
        Assert.Equal((RuleId.ScaleOut, 2, 2, 4), (e.Rule, e.Closed, e.Remaining, e.Original));   // 4 contracts: 2 / 2 / 0
        Assert.Equal(new[] { 2, -2, 2, -2 }, e.Legs.Select(l => l.Qty).ToArray());
        Assert.Equal(0.625 * 100 * 2, e.Pnl, 6);
        Assert.StartsWith("CLOSING: SPY iron_condor - Profit target (50% of max)", e.LogLine, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(575.00, true)]     // the short put strike
    [InlineData(597.00, false)]
    [InlineData(620.00, true)]     // the short call strike
    public void Touch_guards_both_short_strikes_of_a_condor(double spot, bool fires)
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      touch: {}\n");
        h.Add(Condor("t"));
        Assert.Equal(fires ? 1 : 0, h.Quote(T0, "SPY", spot, spot));
    }

    [Fact]
    public void Credit_stop_on_the_whole_condor()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      credit_stop: { debit_multiple: 1.5 }\n");
        h.Add(Condor("t"));
        MarkAll(h, T0, 0.90, 0.45, 1.50, 0.70);
        // calls run: debit = (0.30 − 0.10) + (3.60 − 1.925) = 1.875 = 1.5 × 1.25
        h.Quote(T0 + S, P575, 0.29, 0.31);
        h.Quote(T0 + S, P570, 0.09, 0.11);
        h.Quote(T0 + S, C625, 1.915, 1.935);
        Assert.Empty(h.Exits);
        Assert.Equal(1, h.Quote(T0 + S, C620, 3.59, 3.61));
        Assert.Equal(RuleId.CreditStop, h.Last.Rule);
        Assert.Equal(-0.625 * 100 * 4, h.Last.Pnl, 6);
    }

    [Fact]
    public void A_condor_stop_level_needs_a_side()
    {
        var h = new EngineHarness();
        var ex = Assert.Throws<ConfigException>(() => h.Add(Condor("day_trade", "    stop_underlying: 570")));
        Assert.Contains("position 'IC'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("underlying_entry", ex.Message, StringComparison.Ordinal);
        // with the entry the stop below it guards the downside
        var ok = new EngineHarness("books:\n  t:\n    rules:\n      underlying_stop: {}\n");
        ok.Add(Condor("t", "    stop_underlying: 570\n    underlying_entry: 597"));
        Assert.Equal(0, ok.Quote(T0, "SPY", 630, 630));
        Assert.Equal(1, ok.Quote(T0 + S, "SPY", 570, 570));
    }

    [Fact]
    public void Income_pop_takes_its_first_tranche_at_35_percent()
    {
        var h = new EngineHarness();
        h.Add("""
            positions:
              - id: POP
                book: income_pop
                legs:
                  - { symbol: SPY260220P00580000, qty: -10, entry_price: 2.10 }
                  - { symbol: SPY260220P00575000, qty: 10, entry_price: 0.90 }
            """);
        h.Quote(T0, "SPY260220P00575000", 0.49, 0.51);
        Assert.Equal(0, h.Quote(T0, "SPY260220P00580000", 1.29, 1.31));   // debit 0.80: 33 %
        Assert.Equal(1, h.Quote(T0 + S, "SPY260220P00580000", 1.27, 1.29)); // debit 0.78: 35 %
        Assert.Equal(("Profit target (35% of max)", 4, 6), (h.Last.Reason, h.Last.Closed, h.Last.Remaining));
    }
}
