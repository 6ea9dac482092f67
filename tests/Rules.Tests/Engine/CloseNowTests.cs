using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>An operator's close now (streamer.control.close, the dashboard): an exit of rule manual, like any other exit.</summary>
public class CloseNowTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long S = 1_000_000_000;

    private static EngineHarness Harness(string rules, string positions)
    {
        var h = new EngineHarness($"""
            books:
              t:
                rules:
            {rules}
            """);
        h.Add(positions);
        return h;
    }

    private const string Calls = """
        positions:
          - id: C
            book: t
            opened_at: "2026-01-21T14:55:00Z"
            legs: [ { symbol: AAA260220C00100000, qty: 10, entry_price: 5.00 } ]
        """;

    [Fact]
    public void Closes_what_is_open_at_the_marks_with_the_next_sequence_and_the_actor_in_the_reason()
    {
        var h = Harness("      premium_target: { gain_pct: 0.5 }", Calls);
        Assert.Equal(0, h.Quote(T0, "AAA", 99.95, 100.05));
        Assert.Equal(0, h.Quote(T0, "AAA260220C00100000", 5.90, 6.10));
        Assert.Equal(CloseNowOutcome.Closed, h.CloseNow(T0 + S, "C", "dashboard 127.0.0.1"));
        var e = h.Last;
        Assert.Equal(("C:1", RuleId.Manual, "Closed by the operator (dashboard 127.0.0.1)"), (e.Id, e.Rule, e.Reason));
        Assert.Equal((10, 0, 10), (e.Closed, e.Remaining, e.Original));
        Assert.Equal(T0 + S, e.TimeNs);
        Assert.Equal(1000, e.Pnl, 6);          // (6.00 − 5.00) × 10 × 100
        Assert.Equal(0.2, e.PnlPct, 9);
        Assert.Equal(-10, Assert.Single(e.Legs).Qty);
        Assert.Equal("manual", e.Rule.Name());
        Assert.True(h.LastState.Closed);
        // closed: nothing more, not even the target it now reaches
        Assert.Equal(CloseNowOutcome.AlreadyClosed, h.CloseNow(T0 + 2 * S, "C"));
        Assert.Equal(0, h.Quote(T0 + 3 * S, "AAA260220C00100000", 7.90, 8.10));
        Assert.Single(h.Exits);
        Assert.Equal(CloseNowOutcome.UnknownPosition, h.CloseNow(T0, "nobody"));
    }

    [Fact]
    public void After_a_scale_out_it_closes_the_rest_and_a_paused_position_closes_too()
    {
        var h = Harness("      scale_out: { min_contracts: 1, levels: [0.2, 0.8], fractions: [0.5] }", Calls);
        Assert.Equal(0, h.Quote(T0, "AAA", 99.95, 100.05));
        Assert.Equal(1, h.Quote(T0, "AAA260220C00100000", 5.95, 6.05)); // +20%: the first half
        Assert.Equal((5, 5), (h.Last.Closed, h.Last.Remaining));
        Assert.True(h.Engine.SetPaused("C", paused: true));
        Assert.Equal(CloseNowOutcome.Closed, h.CloseNow(T0 + S, "C"));
        Assert.Equal(("C:2", RuleId.Manual, 5, 0), (h.Last.Id, h.Last.Rule, h.Last.Closed, h.Last.Remaining));
        Assert.Equal(500, h.Last.Pnl, 6);
    }

    [Fact]
    public void Outside_the_session_nothing_is_decided_and_without_a_mark_the_close_still_goes_with_no_pnl()
    {
        var h = Harness("      premium_target: { gain_pct: 0.5 }", Calls);
        Assert.Equal(0, h.Quote(T0, "AAA", 99.95, 100.05));
        Assert.Equal(CloseNowOutcome.MarketClosed, h.CloseNow(Ny(2026, 1, 21, 17, 0), "C")); // after the close
        Assert.Empty(h.Exits);
        Assert.Equal(CloseNowOutcome.Closed, h.CloseNow(Ny(2026, 1, 22, 9, 31), "C"));       // the next session; the call has no quote
        Assert.True(double.IsNaN(h.Last.Pnl));
        Assert.Equal(10, h.Last.Closed);
    }

    [Fact]
    public void Before_its_opened_at_or_before_any_market_time_nothing_is_decided()
    {
        var later = Harness("      premium_target: { gain_pct: 0.5 }", Calls.Replace("14:55:00Z", "16:00:00Z", StringComparison.Ordinal));
        Assert.Equal(CloseNowOutcome.NoClock, later.CloseNow(long.MinValue, "C"));
        Assert.Equal(CloseNowOutcome.NotOpenYet, later.CloseNow(T0, "C")); // 10:00 NY, opened at 11:00
        Assert.Empty(later.Exits);
    }

    [Fact]
    public void A_book_cannot_name_manual()
    {
        var e = Assert.Throws<ConfigException>(() => BookSet.Parse("""
            books:
              t:
                rules:
                  manual: {}
            """, "books.yaml"));
        Assert.Contains("unknown rule 'manual'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("manual", RuleNames.All);
        Assert.False(RuleId.Manual.IsConfigurable());
        Assert.True(RuleId.MaxHold.IsConfigurable());
    }
}
