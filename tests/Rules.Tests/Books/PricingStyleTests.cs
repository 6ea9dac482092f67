using Streamer.Rules.Books;

namespace Streamer.Rules.Tests.Books;

/// <summary>pricing.underlyings.X.style and .dividends: defaults, parsing, and the errors naming what is wrong.</summary>
public class PricingStyleTests
{
    private const string Books = "books: { b: { rules: { dte_stop: { dte: 21 } } } }\n";

    [Theory]
    [InlineData("SPY", ExerciseStyle.American)]
    [InlineData("AAPL", ExerciseStyle.American)]
    [InlineData("QQQ", ExerciseStyle.American)]
    [InlineData("OEX", ExerciseStyle.American)]
    [InlineData("SPX", ExerciseStyle.European)]
    [InlineData("SPXW", ExerciseStyle.European)]
    [InlineData("XSP", ExerciseStyle.European)]
    [InlineData("NDX", ExerciseStyle.European)]
    [InlineData("RUT", ExerciseStyle.European)]
    [InlineData("VIX", ExerciseStyle.European)]
    [InlineData("$SPX", ExerciseStyle.European)]
    public void Equity_options_default_to_american_and_cash_settled_index_roots_to_european(string name, ExerciseStyle expected)
    {
        Assert.Equal(expected, BookSet.BuiltIn.Pricing.StyleFor(name));
        Assert.False(BookSet.BuiltIn.Pricing.HasStyle(name));
    }

    [Fact]
    public void Style_and_dividends_per_underlying_are_read_and_dividends_sorted()
    {
        var set = BookSet.Parse(Books + """
            pricing:
              underlyings:
                AAPL:
                  rate: 0.043
                  dividends:
                    - { ex_date: 2026-05-11, amount: 0.27 }
                    - { ex_date: 2026-02-09, amount: 0.26 }
                SPY: { style: european }
            """);
        Assert.Equal(ExerciseStyle.American, set.Pricing.StyleFor("AAPL"));
        Assert.Equal(ExerciseStyle.European, set.Pricing.StyleFor("SPY"));
        Assert.True(set.Pricing.HasStyle("SPY"));
        Assert.Equal(0.043, set.Pricing.For("AAPL").Rate);
        Assert.Equal(
            new[] { new ScheduledDividend(new DateOnly(2026, 2, 9), 0.26), new ScheduledDividend(new DateOnly(2026, 5, 11), 0.27) },
            set.Pricing.DividendsFor("AAPL"));
        Assert.Empty(set.Pricing.DividendsFor("SPY"));
        // a sweep's variants keep the per-underlying pricing
        var variant = set.WithParameters(b => b.Parameters);
        Assert.Equal(2, variant.Pricing.DividendsFor("AAPL").Count);
        Assert.Equal(ExerciseStyle.European, variant.Pricing.StyleFor("SPY"));
    }

    [Fact]
    public void A_style_for_all_applies_to_every_underlying_without_its_own()
    {
        var set = BookSet.Parse(Books + """
            pricing:
              style: european
              underlyings:
                AAPL: { style: american }
            """);
        Assert.Equal(ExerciseStyle.European, set.Pricing.StyleFor("SPY"));
        Assert.True(set.Pricing.HasStyle("SPY"));
        Assert.Equal(ExerciseStyle.American, set.Pricing.StyleFor("AAPL"));
        Assert.Equal(ExerciseStyle.European, set.WithParameters(b => b.Parameters).Pricing.StyleFor("QQQ")); // a sweep variant keeps it
        var e = Assert.Throws<ConfigException>(() => BookSet.Parse(Books + "pricing: { style: bermudan }\n"));
        Assert.Contains("pricing.style: unknown style 'bermudan' (expected american, european)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AAPL: { style: bermudan }", "pricing.underlyings.AAPL.style: unknown style 'bermudan' (expected american, european)")]
    [InlineData("AAPL: { dividends: [ { ex_date: 2026-02-30, amount: 0.26 } ] }", "pricing.underlyings.AAPL.dividends[0].ex_date: expected a date YYYY-MM-DD, got '2026-02-30'")]
    [InlineData("AAPL: { dividends: [ { ex_date: 02/09/2026, amount: 0.26 } ] }", "pricing.underlyings.AAPL.dividends[0].ex_date: expected a date YYYY-MM-DD, got '02/09/2026'")]
    [InlineData("AAPL: { dividends: [ { ex_date: 2026-02-09, amount: -0.26 } ] }", "pricing.underlyings.AAPL.dividends[0].amount: expected a cash amount per share ≥ 0 such as 0.26, got '-0.26'")]
    [InlineData("AAPL: { dividends: [ { ex_date: 2026-02-09 } ] }", "pricing.underlyings.AAPL.dividends[0]: missing amount")]
    [InlineData("AAPL: { dividends: [ { amount: 0.26 } ] }", "pricing.underlyings.AAPL.dividends[0]: missing ex_date")]
    [InlineData("AAPL: { dividends: [ { ex_date: 2026-02-09, amount: 0.26, pay_date: 2026-02-12 } ] }", "pricing.underlyings.AAPL.dividends[0].pay_date: unknown key (expected ex_date, amount)")]
    [InlineData("AAPL: { dividends: 0.26 }", "pricing.underlyings.AAPL.dividends: expected a list")]
    [InlineData("AAPL: { dividends: [ { ex_date: 2026-02-09, amount: 0.26 }, { ex_date: 2026-02-09, amount: 0.1 } ] }", "pricing.underlyings.AAPL.dividends[1].ex_date: 2026-02-09 is listed twice")]
    [InlineData("AAPL: { exercise: american }", "pricing.underlyings.AAPL.exercise: unknown key (expected rate, dividend, style, dividends)")]
    public void Bad_style_or_dividends_name_what_is_wrong(string entry, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => BookSet.Parse(Books + "pricing:\n  underlyings:\n    " + entry + "\n", "my-books.yaml"));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("my-books.yaml: line ", ex.Message, StringComparison.Ordinal);
    }
}
