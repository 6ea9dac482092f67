using Streamer.Rules.Books;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>Time rules at their instants (expected UTC instants worked out by hand from EST/EDT and NYSE's calendar).</summary>
public class TimeRuleTests
{
    private const string Call = "SPY260220C00600000";

    private static EngineHarness With(string rules, string openedAt, string symbol = Call)
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n" + rules);
        h.Add($$"""
            positions:
              - id: X
                book: t
                opened_at: {{openedAt}}
                legs: [ { symbol: {{symbol}}, qty: 1, entry_price: 4.00 } ]
            """);
        return h;
    }

    [Theory]
    [InlineData("2026-01-29T15:00:00Z", "2026-01-29T20:55:00Z")]   // Thursday, EST: 15:55 = 20:55Z
    [InlineData("2026-07-15T14:00:00Z", "2026-07-15T19:55:00Z")]   // Wednesday, EDT: 15:55 = 19:55Z
    [InlineData("2026-03-09T14:00:00Z", "2026-03-09T19:55:00Z")]   // Monday after the spring DST change
    [InlineData("2026-11-02T15:00:00Z", "2026-11-02T20:55:00Z")]   // Monday after the autumn DST change
    [InlineData("2026-11-27T15:00:00Z", "2026-11-27T17:55:00Z")]   // day after Thanksgiving: 13:00 close → 12:55 EST
    [InlineData("2026-12-24T15:00:00Z", "2026-12-24T17:55:00Z")]   // Christmas Eve (Thursday): 12:55 EST
    [InlineData("2026-07-02T14:00:00Z", "2026-07-02T19:55:00Z")]   // 2026-07-03 is the holiday (Friday); the 2nd is a full day
    public void Day_trade_close_fires_five_minutes_before_the_session_close(string opened, string expected)
    {
        var h = With("      day_trade_close: { minutes_before_close: 5 }\n", opened);
        long start = Utc(opened);
        h.Quote(start, Call, 3.99, 4.01);
        Assert.Equal(Utc(expected), h.Engine.NextWakeNs);
        Assert.Equal(0, h.RunClockTo(Utc(expected) - 1));
        Assert.Equal(1, h.RunClockTo(Utc(expected) + 3600 * 1_000_000_000L));
        Assert.Equal(RuleId.DayTradeClose, h.Last.Rule);
        Assert.Equal(Utc(expected), h.Last.TimeNs);
        Assert.Equal(0.0, h.Last.Pnl, 6);
    }

    [Fact]
    public void Ticks_alone_fire_a_due_time_rule_at_its_own_instant()
    {
        var h = With("      day_trade_close: {}\n", "2026-01-29T15:00:00Z");
        h.Quote(Utc("2026-01-29T15:00:00Z"), Call, 3.99, 4.01);
        // no OnClock: the next tick (after the close) first runs what was due at 15:55
        h.Quote(Utc("2026-01-29T21:10:00Z"), "SPY", 600, 600);
        Assert.Single(h.Exits);
        Assert.Equal(Utc("2026-01-29T20:55:00Z"), h.Last.TimeNs);
    }

    [Fact]
    public void A_day_trade_added_inside_the_closing_window_closes_at_once()
    {
        var h = new EngineHarness();
        h.Quote(Utc("2026-01-29T20:57:00Z"), "META", 720, 720.1);      // clock: 15:57 EST
        h.Add("""
            positions:
              - id: LATE
                book: day_trade
                legs: [ { symbol: META260220C00720000, qty: 1, entry_price: 17.15 } ]
            """);
        Assert.Equal(1, h.Clock(Utc("2026-01-29T20:57:01Z")));
        Assert.Equal(RuleId.DayTradeClose, h.Last.Rule);
    }

    [Fact]
    public void A_position_given_without_opened_at_keeps_the_instant_it_opened_across_a_restore()
    {
        const string Books = "books:\n  t:\n    rules:\n      max_hold: { minutes: 60 }\n";
        const string Position = """
            positions:
              - id: X
                book: t
                legs: [ { symbol: SPY260220C00600000, qty: 1, entry_price: 4.00 } ]
            """;
        var first = new EngineHarness(Books);
        first.Add(Position);
        first.Quote(Utc("2026-01-29T15:00:00Z"), Call, 3.99, 4.01);         // opens at the engine's first time: 10:00 EST
        Assert.True(first.Engine.TryGetState("X", out var saved));
        Assert.Equal(Utc("2026-01-29T15:00:00Z"), saved.OpenedNs);

        // a restart 40 minutes later: the hour runs from 10:00, not from the restart
        var restarted = new EngineHarness(Books);
        restarted.Add(Position);
        restarted.Engine.RestoreState("X", saved);
        restarted.Quote(Utc("2026-01-29T15:40:00Z"), Call, 3.99, 4.01);
        Assert.Equal(1, restarted.RunClockTo(Utc("2026-01-29T16:30:00Z")));
        Assert.Equal(RuleId.MaxHold, restarted.Last.Rule);
        Assert.Equal(Utc("2026-01-29T16:00:00Z"), restarted.Last.TimeNs);

        // what a restart without the instant did: the hour started again at 10:40
        var forgetful = new EngineHarness(Books);
        forgetful.Add(Position);
        forgetful.Engine.RestoreState("X", saved with { OpenedNs = long.MinValue });
        forgetful.Quote(Utc("2026-01-29T15:40:00Z"), Call, 3.99, 4.01);
        Assert.Equal(0, forgetful.RunClockTo(Utc("2026-01-29T16:30:00Z")));
    }

    [Fact]
    public void Max_hold_crossing_into_the_weekend_fires_at_mondays_open()
    {
        // Friday 2026-01-30 10:00 EST + 420 min = 17:00, after the close → Monday 2026-02-02 09:30 EST = 14:30Z
        var h = With("      max_hold: { minutes: 420 }\n", "2026-01-30T15:00:00Z");
        h.Quote(Utc("2026-01-30T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(Utc("2026-02-02T14:30:00Z"), h.Engine.NextWakeNs);
        Assert.Equal(0, h.RunClockTo(Utc("2026-02-02T14:29:59Z")));
        Assert.Equal(1, h.RunClockTo(Utc("2026-02-02T15:00:00Z")));
        Assert.Equal((RuleId.MaxHold, Utc("2026-02-02T14:30:00Z")), (h.Last.Rule, h.Last.TimeNs));
    }

    [Fact]
    public void Max_hold_within_the_session_fires_at_its_instant()
    {
        var h = With("      max_hold: { minutes: 240 }\n", "2026-01-29T16:36:38Z");
        h.Quote(Utc("2026-01-29T16:40:00Z"), Call, 3.99, 4.01);
        Assert.Equal(1, h.RunClockTo(Utc("2026-01-29T21:00:00Z")));
        Assert.Equal(Utc("2026-01-29T20:36:38Z"), h.Last.TimeNs);
    }

    [Fact]
    public void A_holiday_defers_to_the_next_trading_day()
    {
        // Thursday 2026-04-02 11:00 EDT + 330 min = 16:30; Friday 04-03 is Good Friday → Monday 04-06 09:30 EDT = 13:30Z
        var h = With("      max_hold: { minutes: 330 }\n", "2026-04-02T15:00:00Z", "SPY260515C00600000");
        h.Quote(Utc("2026-04-02T15:00:00Z"), "SPY260515C00600000", 3.99, 4.01);
        Assert.Equal(1, h.RunClockTo(Utc("2026-04-07T00:00:00Z")));
        Assert.Equal(Utc("2026-04-06T13:30:00Z"), h.Last.TimeNs);
    }

    [Fact]
    public void Dte_stop_becomes_true_at_new_york_midnight_and_fires_at_the_open()
    {
        // expires 2026-02-20; DTE ≤ 21 from 2026-01-30 00:00 New York → fires Friday 09:30 EST = 14:30Z
        var h = With("      dte_stop: { dte: 21 }\n", "2026-01-27T15:00:00Z");
        h.Quote(Utc("2026-01-27T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(Utc("2026-01-30T14:30:00Z"), h.Engine.NextWakeNs);
        Assert.Equal(1, h.RunClockTo(Utc("2026-01-31T00:00:00Z")));
        Assert.Equal((RuleId.DteStop, Utc("2026-01-30T14:30:00Z")), (h.Last.Rule, h.Last.TimeNs));
        Assert.Equal("Time stop (21 DTE)", h.Last.Reason);
    }

    [Fact]
    public void Dte_stop_initial_fraction_stops_at_that_fraction_of_the_DTE_at_open()
    {
        // opened 16:00 EST 2026-01-06, 45 days before the 16:00 EST 2026-02-20 expiration: 0.47 × 45 = 21.15 DTE
        // = 3 h 36 min before 16:00 on 2026-01-30: 12:24 EST, in session
        var h = With("      dte_stop: { initial_fraction: 0.47 }\n", "2026-01-06T21:00:00Z");
        h.Quote(Utc("2026-01-07T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(0, h.RunClockTo(Utc("2026-01-30T17:23:59Z")));
        Assert.Equal(1, h.RunClockTo(Utc("2026-01-31T00:00:00Z")));
        Assert.Equal(RuleId.DteStop, h.Last.Rule);
        Assert.InRange(h.Last.TimeNs, Utc("2026-01-30T17:24:00Z") - 1000, Utc("2026-01-30T17:24:00Z") + 1000);
        Assert.Equal("Time stop (0.47 of the 45.0 DTE at open: 21.2 DTE)", h.Last.Reason);
    }

    [Fact]
    public void Dte_stop_initial_fraction_of_a_short_trade_falls_on_a_weekend_and_a_holiday_and_fires_at_the_next_open()
    {
        // 14 DTE at open (2026-02-06 16:00 EST): 6.58 DTE is Saturday 2026-02-14 07:04:48Z; Monday 02-16 is
        // Washington's Birthday: it fires at Tuesday's open, 09:30 EST
        var h = With("      dte_stop: { initial_fraction: 0.47 }\n", "2026-02-06T21:00:00Z");
        h.Quote(Utc("2026-02-09T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(1, h.RunClockTo(Utc("2026-02-18T00:00:00Z")));
        Assert.Equal((RuleId.DteStop, Utc("2026-02-17T14:30:00Z")), (h.Last.Rule, h.Last.TimeNs));
        Assert.Equal("Time stop (0.47 of the 14.0 DTE at open: 6.6 DTE)", h.Last.Reason);
    }

    [Fact]
    public void Dte_stop_with_both_forms_fires_at_whichever_comes_first()
    {
        // dte 21 holds from 2026-01-30 00:00 New York (the open, 14:30Z); 0.47 of 45 DTE at 17:24Z: the absolute one wins
        var h = With("      dte_stop: { dte: 21, initial_fraction: 0.47 }\n", "2026-01-06T21:00:00Z");
        h.Quote(Utc("2026-01-07T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(1, h.RunClockTo(Utc("2026-01-31T00:00:00Z")));
        Assert.Equal((RuleId.DteStop, Utc("2026-01-30T14:30:00Z"), "Time stop (21 DTE)"), (h.Last.Rule, h.Last.TimeNs, h.Last.Reason));
        // and with a fraction that comes first (0.6 of 45 = 27 DTE: 2026-01-24, a Saturday → Monday's open)
        var early = With("      dte_stop: { dte: 21, initial_fraction: 0.6 }\n", "2026-01-06T21:00:00Z");
        early.Quote(Utc("2026-01-07T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(1, early.RunClockTo(Utc("2026-01-31T00:00:00Z")));
        Assert.Equal((RuleId.DteStop, Utc("2026-01-26T14:30:00Z")), (early.Last.Rule, early.Last.TimeNs));
        Assert.StartsWith("Time stop (0.6 of the 45.0 DTE at open", early.Last.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("initial_fraction: 1.5", "must be a fraction in (0, 1]")]
    [InlineData("initial_fraction: 0", "must be a fraction in (0, 1]")]
    [InlineData("fraction: 0.5", "known: dte, initial_fraction")]
    public void Dte_stop_initial_fraction_out_of_range_is_refused_naming_it(string body, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => BookSet.Parse("books:\n  t:\n    rules:\n      dte_stop: { " + body + " }\n", "b.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dte_on_a_saturday_fires_on_monday()
    {
        // expires Saturday 2026-02-21: DTE 21 on Saturday 01-31 → Monday 02-02 09:30 EST
        var h = With("      dte_stop: { dte: 21 }\n", "2026-01-27T15:00:00Z", "SPY260221C00600000");
        h.Quote(Utc("2026-01-27T15:00:00Z"), "SPY260221C00600000", 3.99, 4.01);
        Assert.Equal(1, h.RunClockTo(Utc("2026-02-03T00:00:00Z")));
        Assert.Equal(Utc("2026-02-02T14:30:00Z"), h.Last.TimeNs);
    }

    [Theory]
    [InlineData(24.0, "2026-02-20T14:30:00Z")]   // 24 h before 16:00 on the 20th is the 19th's close: outside → the 20th's open
    [InlineData(26.0, "2026-02-19T19:00:00Z")]   // 26 h before: 14:00 EST on the 19th, in session
    public void Expiry_risk_fires_hours_before_the_16_00_expiration(double hours, string expected)
    {
        var h = With($"      expiry_risk: {{ hours: {hours} }}\n", "2026-02-17T15:00:00Z");
        h.Quote(Utc("2026-02-17T15:00:00Z"), Call, 3.99, 4.01);
        Assert.Equal(1, h.RunClockTo(Utc("2026-02-21T00:00:00Z")));
        Assert.Equal((RuleId.ExpiryRisk, Utc(expected)), (h.Last.Rule, h.Last.TimeNs));
    }

    [Fact]
    public void A_price_condition_met_pre_market_fires_at_the_open_only_if_it_still_holds()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      underlying_stop: {}\n");
        h.Add("""
            positions:
              - id: S
                book: t
                stop_underlying: 590
                legs: [ { symbol: SPY, qty: 100, entry_price: 600 } ]
            """);
        Assert.Equal(0, h.Quote(Ny(2026, 1, 21, 9, 0), "SPY", 589, 589.1));   // pre-market: below the stop
        Assert.Equal(Ny(2026, 1, 21, 9, 30), h.Engine.NextWakeNs);
        Assert.Equal(0, h.Quote(Ny(2026, 1, 21, 9, 29, 45), "SPY", 592, 592.1)); // recovered before the open
        Assert.Equal(0, h.RunClockTo(Ny(2026, 1, 21, 9, 31)));
        Assert.Equal(1, h.Quote(Ny(2026, 1, 21, 9, 32), "SPY", 589.9, 590.0));
        Assert.Equal(Ny(2026, 1, 21, 9, 32), h.Last.TimeNs);

        var h2 = new EngineHarness("books:\n  t:\n    rules:\n      underlying_stop: {}\n");
        h2.Add("""
            positions:
              - id: S
                book: t
                stop_underlying: 590
                legs: [ { symbol: SPY, qty: 100, entry_price: 600 } ]
            """);
        Assert.Equal(0, h2.Quote(Ny(2026, 1, 21, 9, 29, 50), "SPY", 589, 589.1));
        Assert.Equal(1, h2.RunClockTo(Ny(2026, 1, 21, 9, 31)));
        Assert.Equal(Ny(2026, 1, 21, 9, 30), h2.Last.TimeNs);
        Assert.Equal((589.05 - 600) * 100, h2.Last.Pnl, 6);
    }

    [Fact]
    public void Nothing_fires_after_the_close()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      underlying_stop: {}\n");
        h.Add("""
            positions:
              - id: S
                book: t
                stop_underlying: 590
                legs: [ { symbol: SPY, qty: 100, entry_price: 600 } ]
            """);
        Assert.Equal(0, h.Quote(Ny(2026, 1, 21, 16, 0), "SPY", 589, 589.1));    // 16:00 is outside [09:30, 16:00)
        Assert.Equal(0, h.Quote(Ny(2026, 1, 24, 12, 0), "SPY", 588, 588.1));    // a Saturday
        Assert.Equal(Ny(2026, 1, 26, 9, 30), h.Engine.NextWakeNs);               // Monday's open
        // two deferrals: Wednesday 16:00 (dropped at Thursday's open: the quote was stale by then) and Saturday
        Assert.Equal(2, h.Engine.Counters.Deferred);
    }

    [Fact]
    public void A_position_is_not_evaluated_before_its_opened_at()
    {
        var h = new EngineHarness();
        h.Quote(Utc("2026-01-20T15:00:00Z"), "SPY", 596, 596.02);
        h.Add("""
            positions:
              - id: STK
                book: day_trade
                opened_at: 2026-01-21T15:00:00Z
                stop_underlying: 590
                legs: [ { symbol: SPY, qty: 100, entry_price: 596 } ]
            """);
        Assert.Equal(Utc("2026-01-21T15:00:00Z"), h.Engine.NextWakeNs);
        Assert.Equal(0, h.Quote(Utc("2026-01-20T16:00:00Z"), "SPY", 580, 580.02));   // below the stop, but a day early
        Assert.Equal(0, h.RunClockTo(Utc("2026-01-21T14:59:59Z")));                  // Tuesday's 15:55 passes: not open yet
        Assert.Equal(1, h.Quote(Utc("2026-01-21T15:00:01Z"), "SPY", 589, 589.02));
        Assert.Equal(RuleId.UnderlyingStop, h.Last.Rule);
    }
}
