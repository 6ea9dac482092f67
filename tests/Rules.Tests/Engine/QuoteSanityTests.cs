using Streamer.Rules.Books;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

public class QuoteSanityTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long S = 1_000_000_000;
    private const string Call = "SPY260220C00600000";
    private const string ShortPut = "SPY260220P00580000";
    private const string LongPut = "SPY260220P00575000";

    private static EngineHarness LongCallWithTarget(string extra = "")
    {
        var h = new EngineHarness($"""
            books:
              t:
            {extra}
                rules:
                  premium_target: {"{"} gain_pct: 0.5 {"}"}
                  max_hold: {"{"} minutes: 60 {"}"}
            """);
        h.Add($$"""
            positions:
              - id: C
                book: t
                opened_at: 2026-01-21T15:00:00Z
                legs: [ { symbol: {{Call}}, qty: 1, entry_price: 4.00 } ]
            """);
        return h;
    }

    [Theory]
    [InlineData(6.10, 6.00)]          // crossed
    [InlineData(6.00, 0.0)]           // zero ask
    [InlineData(-0.05, 6.10)]         // negative bid
    [InlineData(double.NaN, 6.10)]
    [InlineData(6.00, 1e308)]         // past Tick.MaxPrice: the mid would be 5e307, a "profit" with no market behind it
    [InlineData(1e308, 1e308)]        // the mid would overflow to infinity, every P&L after it to null
    [InlineData(6.00, double.PositiveInfinity)]
    public void Insane_quotes_are_counted_and_ignored_and_the_previous_quote_stays(double bid, double ask)
    {
        var h = LongCallWithTarget();
        h.Quote(T0, Call, 4.95, 5.05);
        Assert.Equal(0, h.Quote(T0 + S, Call, bid, ask));
        Assert.Equal(1, h.Engine.Counters.InsaneQuotes);
        Assert.True(h.Engine.TryGetSnapshot("C", out var snap));
        Assert.Equal(100.0, snap.Pnl, 6);                  // still valued at the 5.00 mid
        Assert.Equal(1, h.Quote(T0 + 2 * S, Call, 5.99, 6.01));
    }

    [Fact]
    public void A_zero_bid_is_sane()
    {
        var h = LongCallWithTarget();
        h.Quote(T0, Call, 0.0, 0.10);
        Assert.Equal(0, h.Engine.Counters.InsaneQuotes);
        Assert.True(h.Engine.TryGetSnapshot("C", out var snap));
        Assert.Equal((0.05 - 4.00) * 100, snap.Pnl, 6);
    }

    [Fact]
    public void A_stale_leg_blocks_price_rules_until_it_is_quoted_again()
    {
        var h = new EngineHarness("""
            books:
              t:
                rules:
                  credit_stop: { debit_multiple: 1.5 }
            """);
        h.Add($$"""
            positions:
              - id: P
                book: t
                legs:
                  - { symbol: {{ShortPut}}, qty: -10, entry_price: 2.10 }
                  - { symbol: {{LongPut}}, qty: 10, entry_price: 0.90 }
            """);
        h.Quote(T0, LongPut, 0.59, 0.61);
        Assert.Equal(1, h.Quote(T0 + 30 * S, ShortPut, 2.39, 2.41));   // debit 1.80 with the long leg exactly 30 s old: fresh
        Assert.Single(h.Exits);

        var h2 = new EngineHarness("""
            books:
              t:
                rules:
                  credit_stop: { debit_multiple: 1.5 }
            """);
        h2.Add($$"""
            positions:
              - id: P
                book: t
                legs:
                  - { symbol: {{ShortPut}}, qty: -10, entry_price: 2.10 }
                  - { symbol: {{LongPut}}, qty: 10, entry_price: 0.90 }
            """);
        h2.Quote(T0, LongPut, 0.59, 0.61);
        Assert.Equal(0, h2.Quote(T0 + 31 * S, ShortPut, 2.39, 2.41));  // the long leg is 31 s old: stale, no stop
        Assert.Equal(1, h2.Quote(T0 + 32 * S, LongPut, 0.59, 0.61));   // quoted again: the stop holds and fires
        Assert.Equal(RuleId.CreditStop, h2.Last.Rule);
    }

    [Fact]
    public void A_delayed_quote_older_than_stale_after_does_not_fire()
    {
        var h = LongCallWithTarget();
        h.Quote(T0, "SPY", 600, 600);
        h.Quote(T0 + 40 * S, "SPY", 600.5, 600.5);          // the clock is at T0 + 40 s
        // an option quote stamped T0 + 5 s arrives late: 35 s old at the clock → stale
        Assert.Equal(0, h.Quote(T0 + 5 * S, Call, 5.99, 6.01));
        // the max_hold (60 min) still fires on time: time rules ignore staleness
        Assert.Equal(1, h.RunClockTo(Ny(2026, 1, 21, 11, 0)));
        Assert.Equal(RuleId.MaxHold, h.Last.Rule);
        Assert.Equal(Ny(2026, 1, 21, 11, 0), h.Last.TimeNs);
        Assert.Equal(200.0, h.Last.Pnl, 6);                // valued at the last (stale) mark
    }

    [Fact]
    public void Stale_after_is_a_book_setting()
    {
        var h = LongCallWithTarget("    stale_after: 2m");
        h.Quote(T0, "SPY", 600, 600);
        h.Quote(T0 + 100 * S, "SPY", 600.5, 600.5);
        Assert.Equal(1, h.Quote(T0 + 5 * S, Call, 5.99, 6.01));   // 95 s old: fresh under 2 minutes
    }

    [Fact]
    public void A_leg_never_quoted_blocks_price_rules()
    {
        var h = new EngineHarness("""
            books:
              t:
                rules:
                  credit_stop: { debit_multiple: 1.5 }
            """);
        h.Add($$"""
            positions:
              - id: P
                book: t
                legs:
                  - { symbol: {{ShortPut}}, qty: -10, entry_price: 2.10 }
                  - { symbol: {{LongPut}}, qty: 10, entry_price: 0.90 }
            """);
        Assert.Equal(0, h.Quote(T0, ShortPut, 9.90, 10.10));      // the short alone looks like a disaster
        Assert.Equal(0, h.Quote(T0 + S, ShortPut, 9.90, 10.10));
        Assert.Equal(1, h.Quote(T0 + 2 * S, LongPut, 7.90, 8.10)); // debit 2.00 ≥ 1.80
        Assert.Equal(RuleId.CreditStop, h.Last.Rule);
    }

    [Fact]
    public void A_stale_underlying_price_does_not_fire_underlying_rules()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      underlying_stop: {}\n      touch: {}\n");
        h.Add($$"""
            positions:
              - id: SP
                book: t
                stop_underlying: 590
                legs: [ { symbol: {{ShortPut}}, qty: -1, entry_price: 6.00 } ]
            """);
        h.Quote(T0, "SPY", 600, 600);
        h.Quote(T0 + 60 * S, ShortPut, 5.9, 6.1);               // clock + 60 s: the stock price is stale
        Assert.Equal(0, h.Quote(T0 + 5 * S, "SPY", 570, 570));   // a late stock quote: stale on arrival (55 s old)
        Assert.Equal(1, h.Quote(T0 + 61 * S, "SPY", 589, 589));  // a current price below the stop fires
        Assert.Equal(RuleId.UnderlyingStop, h.Last.Rule);
    }
}
