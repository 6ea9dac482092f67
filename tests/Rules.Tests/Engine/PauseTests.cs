using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>An operator's pause (the control API's pause/resume): priced, never evaluated, no wake-ups; resumed, the rules run at the next event.</summary>
public class PauseTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long S = 1_000_000_000;

    private static EngineHarness Stock(string rules) => Harness(rules, """
        positions:
          - id: A
            book: t
            stop_underlying: 95
            legs: [ { symbol: AAA, qty: 100, entry_price: 100 } ]
        """);

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

    [Fact]
    public void A_paused_position_is_priced_but_its_stop_waits_until_it_is_resumed()
    {
        var h = Stock("      underlying_stop: {}");
        Assert.Equal(0, h.Quote(T0, "AAA", 99.95, 100.05));
        Assert.True(h.Engine.SetPaused("A", paused: true));
        Assert.True(h.Engine.IsPaused("A"));
        Assert.Equal(0, h.Quote(T0 + S, "AAA", 93.95, 94.05)); // through the stop: nothing
        Assert.True(h.Engine.TryGetSnapshot("A", out var s));
        Assert.Equal(94, s.UnderlyingPrice, 6);      // but priced
        Assert.Equal(-600, s.Pnl, 6);
        Assert.True(h.Engine.SetPaused("A", paused: false));
        Assert.Equal(1, h.Trade(T0 + 2 * S, "AAA", 93.5));
        Assert.Equal(Streamer.Rules.Books.RuleId.UnderlyingStop, h.Last.Rule);
        Assert.False(h.Engine.SetPaused("nobody", paused: true));
    }

    [Fact]
    public void A_paused_position_wakes_no_time_rule_and_one_that_fell_due_fires_at_the_next_event_after_resume()
    {
        var h = Stock("      underlying_stop: {}\n      max_hold: { minutes: 10 }");
        Assert.Equal(0, h.Trade(T0, "AAA", 100));
        long wake = h.Engine.NextWakeNs;
        Assert.True(wake < long.MaxValue);
        Assert.True(h.Engine.SetPaused("A", paused: true));
        Assert.Equal(long.MaxValue, h.Engine.NextWakeNs); // nothing to wake for
        Assert.Equal(0, h.RunClockTo(T0 + 3600 * S));      // an hour: max_hold not fired (and the clock loop ends)
        Assert.True(h.Engine.SetPaused("A", paused: false));
        Assert.Equal(1, h.Trade(T0 + 3601 * S, "AAA", 100));
        Assert.Equal(Streamer.Rules.Books.RuleId.MaxHold, h.Last.Rule);
    }
}
