using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>
/// Spot checks against QuantLib 1.29 QdFpAmericanEngine(highPrecisionScheme) outside the vector grid
/// (same setup as tools/quantlib/generate_vectors.py: K = 100, t = days/365). Vega and rho there are
/// central differences of that engine with h = 1e-4. Regenerate: /usr/bin/python3 tools/quantlib/spot_checks.py
/// </summary>
public sealed class AmericanQuantLibSpotTests
{
    // low vol with high rates: r/σ² ≫ 1, where plain FP-B steps oscillate and the Jacobi–Newton step is needed
    [Theory]
    [InlineData(OptionRight.Put, 100.0, 730, 0.08, 0.0, 0.08, 1.4006091146950634)]
    [InlineData(OptionRight.Put, 100.0, 730, 0.1, 0.0, 0.06, 0.6551905880473483)]
    [InlineData(OptionRight.Put, 103.0, 281, 0.09, 0.0, 0.055, 0.08908010541933886)]
    [InlineData(OptionRight.Call, 88.0, 1025, 0.0, 0.075, 0.088, 0.10587271770249987)]
    [InlineData(OptionRight.Put, 99.0, 686, 0.09, 0.015, 0.075, 1.7256121447375041)]
    public void Low_vol_high_rate_price_matches_quantlib(OptionRight right, double spot, int days, double r, double q, double vol, double expected)
    {
        double price = AmericanOption.Price(right, spot, 100, days / 365.0, r, q, vol);
        Assert.True(Math.Abs(price - expected) < 1e-3, $"price {price:R}, QuantLib {expected:R}");
    }

    [Theory]
    [InlineData(OptionRight.Put, 50.0, 91, 0.045, 0.0, 0.9, 3.3351640875878275, -7.696287170055882)]
    [InlineData(OptionRight.Put, 100.0, 730, 0.045, 0.0, 0.08, 43.29681679599906, -29.878085494903228)]
    [InlineData(OptionRight.Call, 105.0, 182, 0.045, 0.03, 0.08, 17.24452252755082, 40.635565143158914)]
    [InlineData(OptionRight.Call, 105.0, 182, 0.045, 0.03, 0.9, 26.924855676320192, 18.171173003871388)]
    [InlineData(OptionRight.Call, 200.0, 730, 0.045, 0.03, 0.4, 30.436238042597097, 82.13657694312815)]
    public void Vega_and_rho_match_quantlib_bumps(OptionRight right, double spot, int days, double r, double q, double vol, double vega, double rho)
    {
        var g = AmericanOption.Greeks(right, spot, 100, days / 365.0, r, q, vol);
        Assert.True(Math.Abs(g.Vega - vega) < 1e-3 * (1 + Math.Abs(vega)), $"vega {g.Vega:R}, QuantLib {vega:R}");
        Assert.True(Math.Abs(g.Rho - rho) < 2e-3 * (1 + Math.Abs(rho)), $"rho {g.Rho:R}, QuantLib {rho:R}");
    }
}
