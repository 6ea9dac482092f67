using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Tests.Pricing;

public sealed class BlackScholesPropertyTests
{
    [Fact]
    public void Put_call_parity_holds_for_price_delta_and_rho_with_equal_gamma_and_vega()
    {
        var rng = new Random(11);
        for (int n = 0; n < 5000; n++)
        {
            double s = 20 + 300 * rng.NextDouble(), k = s * Math.Exp(rng.NextDouble() * 1.6 - 0.8);
            double t = (1 + rng.Next(1000)) / 365.0, r = 0.1 * rng.NextDouble() - 0.02, q = 0.06 * rng.NextDouble();
            double vol = 0.05 + 1.5 * rng.NextDouble();
            var c = BlackScholes.Greeks(OptionRight.Call, s, k, t, r, q, vol);
            var p = BlackScholes.Greeks(OptionRight.Put, s, k, t, r, q, vol);
            double dfR = Math.Exp(-r * t), dfQ = Math.Exp(-q * t);
            Assert.Equal(s * dfQ - k * dfR, c.Price - p.Price, 1e-10 * s);
            Assert.Equal(dfQ, c.Delta - p.Delta, 1e-12);
            Assert.Equal(k * t * dfR, c.Rho - p.Rho, 1e-9 * k);
            Assert.Equal(q * s * dfQ - r * k * dfR, c.Theta - p.Theta, 1e-9 * s);
            Assert.Equal(c.Gamma, p.Gamma);
            Assert.Equal(c.Vega, p.Vega);
        }
    }

    [Fact]
    public void Greeks_agree_with_finite_differences_of_the_price()
    {
        double s = 103, k = 100, t = 0.4, r = 0.035, q = 0.012, vol = 0.27;
        foreach (var right in new[] { OptionRight.Call, OptionRight.Put })
        {
            var g = BlackScholes.Greeks(right, s, k, t, r, q, vol);
            double P(double ss, double tt, double rr, double vv) => BlackScholes.Price(right, ss, k, tt, rr, q, vv);
            const double h = 1e-4;
            Assert.Equal((P(s + h, t, r, vol) - P(s - h, t, r, vol)) / (2 * h), g.Delta, 1e-8);
            Assert.Equal((P(s + 0.01, t, r, vol) - 2 * g.Price + P(s - 0.01, t, r, vol)) / 1e-4, g.Gamma, 1e-6);
            Assert.Equal((P(s, t, r, vol + h) - P(s, t, r, vol - h)) / (2 * h), g.Vega, 1e-6);
            Assert.Equal(-(P(s, t + h, r, vol) - P(s, t - h, r, vol)) / (2 * h), g.Theta, 1e-6); // per year, decay of calendar time
            Assert.Equal((P(s, t, r + h, vol) - P(s, t, r - h, vol)) / (2 * h), g.Rho, 1e-6);
        }
    }

    [Fact]
    public void Zero_vol_gives_the_discounted_intrinsic_not_nan()
    {
        var g = BlackScholes.Greeks(OptionRight.Put, 90, 100, 0.5, 0.04, 0.0, 0.0);
        Assert.Equal(100 * Math.Exp(-0.02) - 90, g.Price, 12);
        Assert.Equal(-1, g.Delta);
        Assert.Equal(0, BlackScholes.Greeks(OptionRight.Call, 90, 100, 0.5, 0.04, 0.0, 0.0).Price);
    }
}
