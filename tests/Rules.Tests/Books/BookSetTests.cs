using Streamer.Rules.Books;
using Streamer.Rules.Time;

namespace Streamer.Rules.Tests.Books;

public class BookSetTests
{
    [Fact]
    public void Built_in_books_are_the_formats_md_examples_and_income_pop()
    {
        var set = BookSet.BuiltIn;
        var day = set.Get("day_trade").Parameters;
        Assert.Equal(RuleSet.UnderlyingStop | RuleSet.UnderlyingTarget | RuleSet.PremiumTarget | RuleSet.TrailingStop |
                     RuleSet.DayTradeClose | RuleSet.MaxHold | RuleSet.ExpiryRisk, day.Rules);
        Assert.Equal((0.5, 0.2, 0.15, 5, 240, 24.0), (day.GainPct, day.ActivateGainPct, day.TrailPct, day.MinutesBeforeClose, day.MaxHoldMinutes, day.ExpiryRiskHours));
        var primary = set.Get("primary").Parameters;
        Assert.Equal(RuleSet.ScaleOut | RuleSet.CreditStop | RuleSet.DeltaStop | RuleSet.DteStop, primary.Rules);
        Assert.Equal((3, 1.5, 0.30, 21), (primary.MinContracts, primary.DebitMultiple, primary.ShortDelta, primary.Dte));
        Assert.Equal(new[] { 0.5, 0.75, 0.9 }, new[] { primary.Levels[0], primary.Levels[1], primary.Levels[2] });
        Assert.Equal(MarkMode.Mid, primary.Mark);
        Assert.Equal(30 * NanoTime.PerSecond, primary.StaleAfterNs);
        var pop = set.Get("income_pop").Parameters;
        Assert.True(pop.Has(RuleId.ScaleOut) && pop.Has(RuleId.CreditStop) && pop.Has(RuleId.DteStop));
        Assert.True(pop.Levels[0] < primary.Levels[0], "income_pop takes profit earlier than primary");
    }

    [Fact]
    public void A_rule_listed_with_empty_braces_takes_rules_md_defaults()
    {
        var set = BookSet.Parse("""
            books:
              d:
                rules:
                  premium_stop: {}
                  premium_target: {}
                  trailing_stop: {}
                  credit_stop: {}
                  delta_stop: {}
                  touch: {}
                  scale_out: {}
                  dte_stop: {}
                  day_trade_close: {}
                  expiry_risk: {}
            """);
        var p = set.Get("d").Parameters;
        Assert.Equal((0.5, 0.5, 0.2, 0.15, 1.5, 0.30, 0.0), (p.LossPct, p.GainPct, p.ActivateGainPct, p.TrailPct, p.DebitMultiple, p.ShortDelta, p.TouchDistance));
        Assert.Equal((3, 21, 5, 24.0, 3), (p.MinContracts, p.Dte, p.MinutesBeforeClose, p.ExpiryRiskHours, p.TrancheCount));
        Assert.Equal((0.4, 0.4), (p.Fractions[0], p.Fractions[1]));
        Assert.False(p.Has(RuleId.MaxHold));
        Assert.False(p.Has(RuleId.UnderlyingStop));
    }

    [Fact]
    public void Json_books_with_mark_stale_after_and_pricing()
    {
        var set = BookSet.Parse("""
            { "books": { "j": { "mark": "conservative", "stale_after": "500ms",
                                "rules": { "scale_out": { "levels": [0.3, 0.6], "fractions": [0.5] } } } },
              "pricing": { "rate": 0.05, "underlyings": { "SPY": { "dividend": 0.012 } } } }
            """, "books.json");
        var p = set.Get("j").Parameters;
        Assert.Equal(MarkMode.Conservative, p.Mark);
        Assert.Equal(500_000_000L, p.StaleAfterNs);
        Assert.Equal((2, 0.3, 0.6, 0.5), (p.TrancheCount, p.Levels[0], p.Levels[1], p.Fractions[0]));
        Assert.Equal((0.05, 0.012), set.Pricing.For("SPY"));
        Assert.Equal((0.05, 0.0), set.Pricing.For("QQQ"));
        Assert.True(set.TryGet("primary", out _));   // built-ins stay
    }

    [Theory]
    [InlineData("books:\n  b:\n    rules:\n      stop_loss: {}\n", "line 4", "unknown rule 'stop_loss'")]
    [InlineData("books:\n  b:\n    rules:\n      credit_stop: { multiple: 2 }\n", "books.b.rules.credit_stop.multiple", "unknown parameter 'multiple' for rule credit_stop (known: debit_multiple)")]
    [InlineData("books:\n  b:\n    rules:\n      delta_stop: { short_delta: high }\n", "books.b.rules.delta_stop.short_delta", "expected a number, got 'high'")]
    [InlineData("books:\n  b:\n    rules:\n      trailing_stop: { trail_pct: 1.5 }\n", "trail_pct", "must be a fraction in (0, 1]")]
    [InlineData("books:\n  b:\n    rules:\n      max_hold: {}\n", "max_hold", "needs 'minutes'")]
    [InlineData("books:\n  b:\n    rules:\n      dte_stop: { dte: 2.5 }\n", "dte", "whole number")]
    [InlineData("books:\n  b:\n    mark: bid\n", "books.b.mark", "unknown mark 'bid'")]
    [InlineData("books:\n  b:\n    stale_after: soon\n", "stale_after", "expected a duration")]
    [InlineData("books:\n  b:\n    colour: red\n", "books.b.colour", "unknown book setting")]
    [InlineData("bookz: {}\n", "line 1", "missing 'books'")]
    [InlineData("books:\n  b:\n    rules:\n      scale_out: { levels: [0.5, 0.4] }\n", "levels", "strictly ascending")]
    [InlineData("books:\n  b:\n    rules:\n      scale_out: { fractions: [0.7, 0.7] }\n", "fractions", "more than 1")]
    [InlineData("books:\n  b:\n    rules:\n      underlying_move: {}\n", "underlying_move", "needs 'up_pct' or 'down_pct'")]
    [InlineData("{ \"books\": { \"b\": { \"rules\": { \"touch\": { \"distance\": -1 } } } } }", "touch.distance", "must be ≥ 0")]
    [InlineData("{ \"books\": { \"b\": ", "invalid JSON", "")]
    [InlineData("books:\n  b: [1, 2\n", "invalid YAML", "")]
    public void Bad_books_name_what_is_wrong(string text, string where, string what)
    {
        var ex = Assert.Throws<ConfigException>(() => BookSet.Parse(text, "my-books.yaml"));
        Assert.StartsWith("my-books.yaml", ex.Message, StringComparison.Ordinal);
        Assert.Contains(where, ex.Message, StringComparison.Ordinal);
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_book_lists_the_known_ones()
    {
        var ex = Assert.Throws<ConfigException>(() => BookSet.BuiltIn.Get("swing"));
        Assert.Equal("unknown book 'swing' (known: day_trade, income_pop, primary)", ex.Message);
    }

    [Fact]
    public void A_file_book_replaces_the_built_in_of_the_same_name()
    {
        var set = BookSet.Parse("books:\n  primary:\n    rules:\n      dte_stop: { dte: 14 }\n");
        var p = set.Get("primary").Parameters;
        Assert.Equal(RuleSet.DteStop, p.Rules);
        Assert.Equal(14, p.Dte);
    }
}
