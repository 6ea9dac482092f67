using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>
/// delta_stop through the engine on an American option with a cash dividend before expiry: the
/// exit follows the American delta (finite differences, Spot model, checked against QuantLib in
/// DividendAmericanVectorTests), not the European one the same mark would give.
/// </summary>
public class AmericanDeltaStopTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long S = 1_000_000_000;
    private const string ShortCall = "XYZ260220C00100000";
    private static readonly DateOnly ExDate = new(2026, 2, 13);
    private const double Amount = 1.50, Vol = 0.25, R = 0.04;

    private static EngineHarness Engine(string style, double threshold)
    {
        var h = new EngineHarness($$"""
            books:
              t:
                rules:
                  delta_stop: { short_delta: {{threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}} }
            pricing:
              underlyings:
                XYZ: { style: {{style}}, dividends: [ { ex_date: 2026-02-13, amount: 1.50 } ] }
            """);
        h.Add($$"""
            positions:
              - id: SC
                book: t
                underlying: XYZ
                legs: [ { symbol: {{ShortCall}}, qty: -1, entry_price: 3.00 } ]
            """);
        return h;
    }

    [Fact]
    public void A_short_call_before_an_ex_date_stops_on_the_american_delta_that_the_european_one_has_not_reached()
    {
        // the independent expectation, by the two models at the instants of the ticks
        double t0 = (Ny(2026, 2, 20, 16, 0) - T0) / (365.0 * 86400e9);
        double t1 = t0 - 1.0 / (365.0 * 86400);
        CashDividend[] divs0 = [new((Ny(2026, 2, 13, 9, 30) - T0) / (365.0 * 86400e9), Amount)];
        CashDividend[] divs1 = [new(divs0[0].Time - 1.0 / (365.0 * 86400), Amount)];
        double mark = DividendAmerican.Value(OptionRight.Call, 100, 100, t0, R, 0, Vol, divs0).Price;
        double americanAt100 = DividendAmerican.Value(OptionRight.Call, 100, 100, t0, R, 0, Vol, divs0).Delta;
        double american = DividendAmerican.Value(OptionRight.Call, 104, 100, t1, R, 0, Vol, divs1).Delta;
        // European style: the same mark's IV and delta on the spot net of the dividend's present value
        double pv0 = Amount * Math.Exp(-R * divs0[0].Time), pv1 = Amount * Math.Exp(-R * divs1[0].Time);
        Assert.Equal(IvStatus.Ok, ImpliedVolatility.TrySolve(OptionRight.Call, mark, 100 - pv0, 100, t0, R, 0, out double europeanIv));
        double europeanAt100 = BlackScholes.Greeks(OptionRight.Call, 100 - pv0, 100, t0, R, 0, europeanIv).Delta;
        double european = BlackScholes.Greeks(OptionRight.Call, 104 - pv1, 100, t1, R, 0, europeanIv).Delta;
        // early exercise before the ex-date makes the in-the-money call more like the stock
        Assert.True(american - european > 0.01, $"premise: American {american} vs European {european}");
        double threshold = Math.Round(0.5 * (american + european), 4);
        Assert.True(americanAt100 < threshold && europeanAt100 < threshold, $"premise at 100: {americanAt100} {europeanAt100} < {threshold}");

        var a = Engine("american", threshold);
        Assert.Equal(0, a.Quote(T0, "XYZ", 100, 100));
        Assert.Equal(0, a.Quote(T0, ShortCall, mark - 0.005, mark + 0.005));
        Assert.Equal(1, a.Quote(T0 + S, "XYZ", 104, 104));
        Assert.Equal(RuleId.DeltaStop, a.Last.Rule);
        // the position delta reported is the American one (read off the mesh solved at the option quote)
        Assert.Equal(-100 * american, a.Last.Greeks.Delta, 1);
        Assert.InRange(a.Last.Greeks.Delta, -100 * american - 0.1, -100 * american + 0.1);

        var e = Engine("european", threshold);
        Assert.Equal(0, e.Quote(T0, "XYZ", 100, 100));
        Assert.Equal(0, e.Quote(T0, ShortCall, mark - 0.005, mark + 0.005));
        Assert.Equal(0, e.Quote(T0 + S, "XYZ", 104, 104));
        Assert.True(e.Engine.TryGetSnapshot("SC", out var snap));
        Assert.InRange(snap.Greeks.Delta, -100 * european - 0.1, -100 * european + 0.1);
    }

    [Fact]
    public void Past_the_ex_date_the_call_has_no_early_exercise_and_prices_as_black_scholes()
    {
        // after the ex instant no dividend is left before expiry: the fast path, the European numbers exactly
        long t = Ny(2026, 2, 17, 10, 0);
        double years = (Ny(2026, 2, 20, 16, 0) - t) / (365.0 * 86400e9);
        double mark = BlackScholes.Price(OptionRight.Call, 100, 100, years, R, 0, Vol);
        var a = Engine("american", 0.99);
        a.Quote(t, "XYZ", 100, 100);
        a.Quote(t, ShortCall, mark - 0.005, mark + 0.005);
        a.Quote(t + S, "XYZ", 101, 101);
        Assert.True(a.Engine.TryGetSnapshot("SC", out var snap));
        double expected = BlackScholes.Greeks(OptionRight.Call, 101, 100, years - 1.0 / (365.0 * 86400), R, 0, Vol).Delta;
        Assert.Equal(-100 * expected, snap.Greeks.Delta, 6);
    }
}
