using Streamer.Rules.Books;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>The META trade of seed 000: 6 × META 720 C 2026-02-20 at 17.15, stop 720.60 and target 726.37 on the stock.</summary>
public class SeedTests
{
    private const string Meta = """
        positions:
          - id: META-1
            book: day_trade
            opened_at: 2026-01-29T16:36:38Z
            underlying_entry: 720.93
            stop_underlying: 720.60
            target_underlying: 726.37
            legs: [ { symbol: META260220C00720000, qty: 6, entry_price: 17.15 } ]
        """;

    private const string Call = "META260220C00720000";
    private static readonly long T = Ny(2026, 1, 29, 11, 40);   // 4 minutes after entry (a Thursday)

    [Fact]
    public void Option_at_22_50_is_plus_3210_and_the_stock_target_closes_all_six()
    {
        var h = new EngineHarness();
        h.Add(Meta);
        Assert.Equal(0, h.Quote(T, "META", 720.90, 720.96));
        Assert.Equal(0, h.Quote(T + 1, Call, 17.10, 17.20));
        // the seed's "current" state: option 22.50 (+31 %), stock ~725: below the stock target, no rule holds
        Assert.Equal(0, h.Quote(T + 2, Call, 22.45, 22.55));
        Assert.Equal(0, h.Quote(T + 3, "META", 724.98, 725.02));
        Assert.True(h.Engine.TryGetSnapshot("META-1", out var snap));
        Assert.Equal((22.50 - 17.15) * 100 * 6, snap.Pnl, 6);   // +3,210
        Assert.Equal(3210.0, snap.Pnl, 6);

        // the stock reaches 726.37
        Assert.Equal(1, h.Quote(T + 4, "META", 726.36, 726.38));
        var exit = h.Last;
        Assert.Equal(RuleId.UnderlyingTarget, exit.Rule);
        Assert.Equal("META-1:1", exit.Id);
        Assert.Equal((6, 0, 6), (exit.Closed, exit.Remaining, exit.Original));
        Assert.Equal(3210.0, exit.Pnl, 6);
        Assert.Equal(726.37, exit.UnderlyingPrice, 9);
        Assert.Equal(("META260220C00720000", -6), (exit.Legs[0].Symbol, exit.Legs[0].Qty));
        Assert.Equal((22.50 - 17.15) / 17.15, exit.PnlPct, 9);
        Assert.Equal("CLOSING: META long_call - Underlying target hit (726.37) - P&L: $3,210.00 - Closed 6/6 contracts", exit.LogLine);
    }

    [Fact]
    public void The_stock_stop_at_720_60_closes_the_calls()
    {
        var h = new EngineHarness();
        h.Add(Meta);
        h.Quote(T, Call, 17.10, 17.20);
        Assert.Equal(0, h.Quote(T + 1, "META", 720.62, 720.66));   // 720.64: above the stop
        Assert.Equal(1, h.Quote(T + 2, "META", 720.58, 720.62));   // 720.60: at the stop
        Assert.Equal(RuleId.UnderlyingStop, h.Last.Rule);
        Assert.Equal("Underlying stop hit (720.60)", h.Last.Reason);
        Assert.Equal(0.0, h.Last.Pnl, 6);
    }

    [Fact]
    public void A_stock_position_uses_its_own_quotes_for_value_and_levels()
    {
        var h = new EngineHarness();
        h.Add("""
            positions:
              - id: QCOM-S
                book: day_trade
                opened_at: 2026-01-29T16:00:00Z
                stop_underlying: 150.71
                target_underlying: 151.70
                legs: [ { symbol: QCOM, qty: 100, entry_price: 151.00 } ]
            """);
        Assert.Equal(0, h.Quote(T, "QCOM", 151.20, 151.30));
        Assert.Equal(1, h.Quote(T + 1, "QCOM", 151.69, 151.71));
        Assert.Equal(RuleId.UnderlyingTarget, h.Last.Rule);
        Assert.Equal(0.70 * 100, h.Last.Pnl, 6);
        Assert.Equal(-100, h.Last.Legs[0].Qty);
        Assert.StartsWith("CLOSING: QCOM stock - ", h.Last.LogLine, StringComparison.Ordinal);
    }
}
