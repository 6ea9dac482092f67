using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Tests.Pricing;

public sealed class AmericanPropertyTests
{
    [Theory]
    [InlineData(OptionRight.Put, 90.0, 0.045, 0.01, 0.3, 0.5)]
    [InlineData(OptionRight.Put, 110.0, 0.045, 0.0, 0.2, 1.0)]
    [InlineData(OptionRight.Call, 105.0, 0.02, 0.06, 0.4, 0.75)]
    [InlineData(OptionRight.Call, 95.0, 0.045, 0.03, 0.15, 2.0)]
    public void Delta_and_gamma_agree_with_finite_differences_of_the_price(OptionRight right, double spot, double r, double q, double vol, double t)
    {
        var v = AmericanOption.Value(right, spot, 100, t, r, q, vol);
        const double h = 0.01;
        double up = AmericanOption.Price(right, spot + h, 100, t, r, q, vol), dn = AmericanOption.Price(right, spot - h, 100, t, r, q, vol);
        Assert.Equal((up - dn) / (2 * h), v.Delta, 1e-5);
        Assert.Equal((up - 2 * v.Price + dn) / (h * h), v.Gamma, 1e-3);
    }

    [Fact]
    public void Is_worth_at_least_the_european_and_the_exercise_value()
    {
        var rng = new Random(5);
        for (int n = 0; n < 300; n++)
        {
            var right = rng.Next(2) == 0 ? OptionRight.Call : OptionRight.Put;
            double s = 100 * Math.Exp(rng.NextDouble() - 0.5), t = (2 + rng.Next(728)) / 365.0;
            double r = 0.06 * rng.NextDouble() + 0.001, q = 0.06 * rng.NextDouble(), vol = 0.08 + 0.82 * rng.NextDouble();
            double a = AmericanOption.Price(right, s, 100, t, r, q, vol);
            double e = BlackScholes.Price(right, s, 100, t, r, q, vol);
            double now = right == OptionRight.Call ? s - 100 : 100 - s;
            Assert.True(a >= e - 1e-6 && a >= now - 1e-9, $"{right} S={s} t={t} r={r} q={q} vol={vol}: american {a} european {e}");
        }
    }

    [Fact]
    public void Call_without_dividend_is_european()
    {
        var a = AmericanOption.Value(OptionRight.Call, 103, 100, 0.7, 0.045, 0.0, 0.25);
        var e = BlackScholes.Greeks(OptionRight.Call, 103, 100, 0.7, 0.045, 0.0, 0.25);
        Assert.Equal(e.Price, a.Price);
        Assert.Equal(e.Delta, a.Delta);
        Assert.False(AmericanOption.HasEarlyExercise(OptionRight.Call, 0.045, 0.0));
        Assert.True(AmericanOption.HasEarlyExercise(OptionRight.Put, 0.045, 0.0));
    }

    [Fact]
    public void Deep_in_the_money_put_is_exercised_now()
    {
        var v = AmericanOption.Value(OptionRight.Put, 40, 100, 0.5, 0.05, 0.0, 0.2);
        Assert.Equal(60, v.Price);
        Assert.Equal(-1, v.Delta);
        var g = AmericanOption.Greeks(OptionRight.Put, 40, 100, 0.5, 0.05, 0.0, 0.2);
        Assert.Equal(0, g.Theta);
    }

    [Fact]
    public void Greeks_theta_from_the_pde_matches_a_time_bump()
    {
        double s = 95, t = 0.5, r = 0.045, q = 0.01, vol = 0.3;
        var g = AmericanOption.Greeks(OptionRight.Put, s, 100, t, r, q, vol);
        const double dt = 1e-3;
        double bumped = -(AmericanOption.Price(OptionRight.Put, s, 100, t + dt, r, q, vol) - AmericanOption.Price(OptionRight.Put, s, 100, t - dt, r, q, vol)) / (2 * dt);
        Assert.Equal(bumped, g.Theta, 2e-3);
        Assert.True(g.Vega > 0 && g.Rho < 0);
    }

    [Fact]
    public void American_implied_vol_round_trips()
    {
        var rng = new Random(9);
        for (int n = 0; n < 60; n++)
        {
            var right = rng.Next(2) == 0 ? OptionRight.Call : OptionRight.Put;
            double s = 100 * Math.Exp(0.6 * rng.NextDouble() - 0.3), t = (2 + rng.Next(728)) / 365.0;
            double r = 0.05 * rng.NextDouble() + 0.005, q = 0.05 * rng.NextDouble(), vol = 0.1 + 0.8 * rng.NextDouble();
            double price = AmericanOption.Price(right, s, 100, t, r, q, vol);
            double vega = AmericanOption.Greeks(right, s, 100, t, r, q, vol).Vega;
            if (vega < 0.01) continue; // price barely depends on vol: deep in the exercise region
            Assert.Equal(IvStatus.Ok, AmericanOption.TrySolveVol(right, price, s, 100, t, r, q, out double iv));
            Assert.True(Math.Abs(iv - vol) < 1e-6, $"{right} S={s} t={t} r={r} q={q} vol={vol}: iv {iv}");
        }
    }

    [Fact]
    public void American_implied_vol_reports_bad_prices()
    {
        Assert.Equal(IvStatus.BelowIntrinsic, AmericanOption.TrySolveVol(OptionRight.Put, 9.5, 90, 100, 0.5, 0.04, 0, out _));
        Assert.Equal(IvStatus.AboveMaximum, AmericanOption.TrySolveVol(OptionRight.Put, 100, 90, 100, 0.5, 0.04, 0, out _));
        Assert.Equal(IvStatus.AboveMaximum, AmericanOption.TrySolveVol(OptionRight.Call, 91, 90, 100, 0.5, 0.04, 0.02, out _));
        Assert.Equal(IvStatus.InvalidInput, AmericanOption.TrySolveVol(OptionRight.Put, 5, 90, 100, -0.5, 0.04, 0, out _));
    }
}

public sealed class AmericanCallExerciseTests
{
    [Fact]
    public void Deep_in_the_money_call_with_a_high_dividend_is_exercised_now_with_zero_theta()
    {
        // q = 20%, r = 1%: holding forgoes far more dividend than the strike earns
        var g = AmericanOption.Greeks(OptionRight.Call, 300, 100, 1.0, 0.01, 0.2, 0.2);
        Assert.Equal(200, g.Price, 12);
        Assert.Equal(1, g.Delta, 12);
        Assert.Equal(0, g.Theta);
    }
}
