using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

public sealed class ImpliedVolatilityWarmStartTests(ITestOutputHelper output)
{
    [Fact]
    public void Warm_start_from_the_previous_quote_matches_the_cold_solve_on_random_quote_sequences()
    {
        var rng = new Random(31);
        double worstVsCold = 0, worstVsTrue = 0;
        int solves = 0;
        for (int seq = 0; seq < 400; seq++)
        {
            var right = rng.Next(2) == 0 ? OptionRight.Call : OptionRight.Put;
            double t = rng.Next(4) == 0 ? 1 / 365.0 : Math.Exp(rng.NextDouble() * Math.Log(2 * 365.0)) / 365.0;
            double vol = Math.Exp(Math.Log(0.05) + rng.NextDouble() * Math.Log(3.0 / 0.05));
            double strike = 100, spot = strike * Math.Exp(Math.Clamp((-3 + 6 * rng.NextDouble()) * vol * Math.Sqrt(t), -3, 3));
            double r = 0.045, q = 0.01;
            double last = double.NaN;
            for (int k = 0; k < 50; k++)
            {
                // consecutive quotes: the spot and the vol move a little, sometimes a lot
                double jump = rng.Next(20) == 0 ? 0.2 : 0.002;
                spot *= Math.Exp(jump * vol * Math.Sqrt(1 / 365.0) * (2 * rng.NextDouble() - 1));
                vol = Math.Clamp(vol * Math.Exp(jump * (2 * rng.NextDouble() - 1)), 0.03, 4);
                var g = BlackScholes.Greeks(right, spot, strike, t, r, q, vol);
                if (!(g.Vega * 1e-10 > 8e-16 * Math.Max(spot, strike))) continue; // the price does not pin the vol
                var cold = ImpliedVolatility.TrySolve(right, g.Price, spot, strike, t, r, q, out double coldVol);
                var warm = ImpliedVolatility.TrySolve(right, g.Price, spot, strike, t, r, q, last, out double warmVol);
                Assert.Equal(cold, warm);
                Assert.Equal(IvStatus.Ok, warm);
                double d = Math.Abs(warmVol - coldVol);
                Assert.True(d <= 1e-10, $"{right} S={spot:R} t={t:R} vol={vol:R} guess={last:R}: warm {warmVol:R} cold {coldVol:R}");
                Assert.True(Math.Abs(warmVol - vol) < 1e-9, $"{right} S={spot:R} t={t:R} vol={vol:R}: warm {warmVol:R}");
                worstVsCold = Math.Max(worstVsCold, d);
                worstVsTrue = Math.Max(worstVsTrue, Math.Abs(warmVol - vol));
                last = warmVol;
                solves++;
            }
        }
        Assert.True(solves > 10000, $"only {solves} solves");
        output.WriteLine($"{solves} warm solves: max |warm - cold| = {worstVsCold:E2}, max |warm - vol| = {worstVsTrue:E2}");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.0)]
    [InlineData(-0.3)]
    [InlineData(1e-6)]
    [InlineData(1e-3)]
    [InlineData(50.0)]
    [InlineData(1e6)]
    public void A_bad_guess_falls_back_to_the_cold_solve(double guess)
    {
        (OptionRight, double, double, double, double)[] cases =
        [
            (OptionRight.Call, 100, 103, 1 / 365.0, 0.15), (OptionRight.Put, 100, 60, 1 / 365.0, 3.0),
            (OptionRight.Call, 100, 100, 30 / 365.0, 0.2), (OptionRight.Put, 100, 80, 30 / 365.0, 0.45),
            (OptionRight.Call, 100, 250, 2.0, 0.9), (OptionRight.Call, 100, 100, 3.0, 5.0),
        ];
        foreach (var (right, s, k, t, vol) in cases)
        {
            double p = BlackScholes.Price(right, s, k, t, 0.03, 0.01, vol);
            Assert.Equal(IvStatus.Ok, ImpliedVolatility.TrySolve(right, p, s, k, t, 0.03, 0.01, out double cold));
            Assert.Equal(IvStatus.Ok, ImpliedVolatility.TrySolve(right, p, s, k, t, 0.03, 0.01, guess, out double warm));
            Assert.True(Math.Abs(warm - cold) <= 1e-10, $"{right} {k} {t} {vol} guess {guess}: warm {warm:R} cold {cold:R}");
            Assert.True(Math.Abs(warm - vol) < 1e-9, $"{right} {k} {t} {vol} guess {guess}: {warm:R}");
        }
    }

    [Fact]
    public void The_warm_overload_reports_the_same_error_statuses()
    {
        Assert.Equal(IvStatus.BelowIntrinsic, ImpliedVolatility.TrySolve(OptionRight.Call, 24.0, 120, 100, 1, 0.05, 0, 0.2, out double v1));
        Assert.Equal(0.0, v1);
        Assert.Equal(IvStatus.AboveMaximum, ImpliedVolatility.TrySolve(OptionRight.Call, 100.0, 100, 100, 1, 0.05, 0, 0.2, out double v2));
        Assert.Equal(0.0, v2);
        Assert.Equal(IvStatus.InvalidInput, ImpliedVolatility.TrySolve(OptionRight.Call, 5, 100, 100, 0, 0.05, 0, 0.2, out _));
        Assert.Equal(IvStatus.Ok, ImpliedVolatility.TrySolve(OptionRight.Put, 0.0, 100, 100, 1, 0.0, 0.0, 0.2, out double v3));
        Assert.Equal(0.0, v3);
    }
}
