using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

public sealed class ImpliedVolatilityTests(ITestOutputHelper output)
{
    private const double VolTolerance = 1e-9;

    [Fact]
    public void Solves_back_the_vol_of_quantlib_prices_to_1e9()
    {
        double worst = 0;
        foreach (var v in Vectors.Read("iv.csv"))
        {
            var status = ImpliedVolatility.TrySolve(v.Right, v["price"], v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], out double vol);
            Assert.True(status == IvStatus.Ok, $"{v}: {status}");
            double err = Math.Abs(vol - v["vol"]);
            worst = Math.Max(worst, err);
            Assert.True(err < VolTolerance, $"{v}: iv {vol:R} vs {v["vol"]:R} (err {err:E2})");
        }
        output.WriteLine($"iv.csv: max |iv - vol| = {worst:E2}");
    }

    [Fact]
    public void Round_trips_a_random_grid_including_one_day_and_deep_wings()
    {
        var rng = new Random(7);
        double worst = 0;
        int cases = 0, maxIterations = 0;
        long totalIterations = 0;
        for (int n = 0; n < 20000; n++)
        {
            var right = rng.Next(2) == 0 ? OptionRight.Call : OptionRight.Put;
            double t = rng.Next(4) == 0 ? 1 / 365.0 : Math.Exp(rng.NextDouble() * Math.Log(3 * 365.0)) / 365.0;
            double vol = Math.Exp(Math.Log(0.02) + rng.NextDouble() * Math.Log(4.0 / 0.02));
            double z = -8 + 16 * rng.NextDouble(); // standard deviations of moneyness
            double strike = 100, spot = strike * Math.Exp(Math.Clamp(z * vol * Math.Sqrt(t), -4, 4));
            double r = 0.1 * rng.NextDouble() - 0.02, q = 0.08 * rng.NextDouble();
            var g = BlackScholes.Greeks(right, spot, strike, t, r, q, vol);
            // only where the price determines the vol: a 1e-10 vol move must beat the price's rounding
            if (!(g.Vega * 1e-10 > 16 * double.Epsilon * Math.Max(spot, strike)) || !(g.Vega * 1e-10 > 8e-16 * Math.Max(spot, strike)))
                continue;
            var status = ImpliedVolatility.TrySolve(right, g.Price, spot, strike, t, r, q, out double iv);
            Assert.True(status == IvStatus.Ok, $"{right} S={spot:R} K={strike} t={t:R} r={r:R} q={q:R} vol={vol:R}: {status}");
            double err = Math.Abs(iv - vol);
            Assert.True(err < VolTolerance, $"{right} S={spot:R} K={strike} t={t:R} r={r:R} q={q:R} vol={vol:R}: iv {iv:R} err {err:E2}");
            worst = Math.Max(worst, err);
            cases++;

            double fs = spot * Math.Exp(-q * t), pk = strike * Math.Exp(-r * t);
            double otm = g.Price - BlackScholesIntrinsic(right, fs, pk);
            if (otm > 0)
            {
                ImpliedVolatility.NormalisedImpliedVol(otm / Math.Sqrt(fs * pk), -Math.Abs(Math.Log(fs / pk)), out int it);
                maxIterations = Math.Max(maxIterations, it);
                totalIterations += it;
            }
        }
        Assert.True(cases > 10000, $"only {cases} identifiable cases");
        output.WriteLine($"{cases} cases: max |iv - vol| = {worst:E2}, iterations max {maxIterations}, mean {(double)totalIterations / cases:F2}");
    }

    private static double BlackScholesIntrinsic(OptionRight right, double fs, double pk)
        => right == OptionRight.Call ? Math.Max(fs - pk, 0) : Math.Max(pk - fs, 0);

    [Fact]
    public void Price_below_intrinsic_is_reported_not_solved()
    {
        // call: S e^{-qT} - K e^{-rT} = 120 - 100·e^{-0.05} = 24.877...
        var status = ImpliedVolatility.TrySolve(OptionRight.Call, 24.0, 120, 100, 1, 0.05, 0, out double vol);
        Assert.Equal(IvStatus.BelowIntrinsic, status);
        Assert.False(double.IsNaN(vol));
        Assert.Equal(IvStatus.BelowIntrinsic, ImpliedVolatility.TrySolve(OptionRight.Put, -0.01, 120, 100, 1, 0.05, 0, out _));
        Assert.Equal(IvStatus.BelowIntrinsic, ImpliedVolatility.TrySolve(OptionRight.Put, 9.99, 90, 100, 0.5, 0.0, 0, out _));
    }

    [Fact]
    public void Price_at_or_above_the_no_arbitrage_bound_is_reported()
    {
        Assert.Equal(IvStatus.AboveMaximum, ImpliedVolatility.TrySolve(OptionRight.Call, 100.0, 100, 100, 1, 0.05, 0, out _));
        Assert.Equal(IvStatus.AboveMaximum, ImpliedVolatility.TrySolve(OptionRight.Call, 99.5, 100, 100, 1, 0.05, 0.01, out _)); // bound 99.005
        Assert.Equal(IvStatus.AboveMaximum, ImpliedVolatility.TrySolve(OptionRight.Put, 96.0, 100, 100, 1, 0.05, 0, out double vol)); // bound 95.12
        Assert.False(double.IsNaN(vol));
    }

    [Theory]
    [InlineData(0.0, 100, 1)]
    [InlineData(100, 0.0, 1)]
    [InlineData(100, 100, 0.0)]
    [InlineData(100, 100, -1)]
    [InlineData(double.NaN, 100, 1)]
    [InlineData(100, double.PositiveInfinity, 1)]
    public void Bad_inputs_are_invalid(double spot, double strike, double t)
    {
        Assert.Equal(IvStatus.InvalidInput, ImpliedVolatility.TrySolve(OptionRight.Call, 5, spot, strike, t, 0.05, 0, out double vol));
        Assert.False(double.IsNaN(vol));
        Assert.Equal(IvStatus.InvalidInput, ImpliedVolatility.TrySolve(OptionRight.Call, double.NaN, 100, 100, 1, 0.05, 0, out _));
        Assert.Equal(IvStatus.InvalidInput, ImpliedVolatility.TrySolve(OptionRight.None, 5, 100, 100, 1, 0.05, 0, out _));
    }

    [Fact]
    public void Price_exactly_at_intrinsic_means_zero_vol()
    {
        Assert.Equal(IvStatus.Ok, ImpliedVolatility.TrySolve(OptionRight.Put, 0.0, 100, 100, 1, 0.0, 0.0, out double vol));
        Assert.Equal(0.0, vol);
    }

    [Fact]
    public void Extreme_but_meaningful_cases_converge()
    {
        // (right, S, K, t, vol): 1-day deep wings, very low and very high vol, long expiries
        (OptionRight, double, double, double, double)[] cases =
        [
            (OptionRight.Call, 100, 103, 1 / 365.0, 0.15), (OptionRight.Put, 100, 97, 1 / 365.0, 0.15),
            (OptionRight.Call, 100, 60, 1 / 365.0, 3.0), (OptionRight.Put, 100, 160, 1 / 365.0, 3.0),
            (OptionRight.Call, 100, 100, 1 / 365.0, 0.01), (OptionRight.Call, 100, 250, 2.0, 0.9),
            (OptionRight.Put, 100, 20, 2.0, 0.9), (OptionRight.Call, 100, 100, 3.0, 5.0),
            (OptionRight.Put, 100, 100.0001, 0.5, 0.3), (OptionRight.Call, 100, 140, 30 / 365.0, 0.25),
        ];
        foreach (var (right, s, k, t, vol) in cases)
        {
            double p = BlackScholes.Price(right, s, k, t, 0.03, 0.01, vol);
            Assert.Equal(IvStatus.Ok, ImpliedVolatility.TrySolve(right, p, s, k, t, 0.03, 0.01, out double iv));
            Assert.True(Math.Abs(iv - vol) < VolTolerance, $"{right} {s} {k} {t} {vol}: {iv:R}");
        }
    }
}

public sealed class ImpliedVolatilityRobustnessTests
{
    [Fact]
    public void Any_price_between_the_bounds_solves_to_a_finite_vol_that_reprices_it()
    {
        var rng = new Random(23);
        for (int n = 0; n < 20000; n++)
        {
            var right = rng.Next(2) == 0 ? OptionRight.Call : OptionRight.Put;
            double spot = 100, strike = 100 * Math.Exp(4 * rng.NextDouble() - 2);
            double t = Math.Exp(rng.NextDouble() * Math.Log(5 * 365.0)) / 365.0, r = 0.05, q = 0.02;
            double fs = spot * Math.Exp(-q * t), pk = strike * Math.Exp(-r * t);
            double lo = right == OptionRight.Call ? Math.Max(fs - pk, 0) : Math.Max(pk - fs, 0);
            double hi = right == OptionRight.Call ? fs : pk;
            // time value from 1e-300 of the range up to just below the bound
            double u = Math.Pow(10, -300 * rng.NextDouble() * rng.NextDouble());
            double price = lo + (hi - lo) * u * (1 - 1e-15);
            var status = ImpliedVolatility.TrySolve(right, price, spot, strike, t, r, q, out double vol);
            Assert.True(double.IsFinite(vol) && vol >= 0, $"{right} K={strike} t={t} price={price:R}: {status} vol {vol}");
            if (status != IvStatus.Ok) continue;
            double back = BlackScholes.Price(right, spot, strike, t, r, q, vol);
            // reprices to rounding of the larger of the price and the intrinsic value it sits on
            Assert.True(Math.Abs(back - price) <= 1e-9 * Math.Max(price, 1e-3) || vol == 0 || vol > 50,
                $"{right} K={strike:R} t={t:R} price={price:R}: vol {vol:R} reprices to {back:R}");
        }
    }
}
