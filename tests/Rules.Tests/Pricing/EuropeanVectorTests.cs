using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>BlackScholes against QuantLib 1.29 AnalyticEuropeanEngine (vectors/european.csv).</summary>
public sealed class EuropeanVectorTests(ITestOutputHelper output)
{
    // relative to the value, with an absolute floor at the strike's scale for values that are
    // themselves rounding noise (QuantLib computes OTM prices as a difference of two terms)
    private const double Rel = 1e-10, AbsFloor = 1e-12;

    [Fact]
    public void Price_and_all_greeks_match_quantlib()
    {
        var worst = new double[6];
        string[] names = ["price", "delta", "gamma", "vega", "theta", "rho"];
        foreach (var v in Vectors.Read("european.csv"))
        {
            var g = BlackScholes.Greeks(v.Right, v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], v["vol"]);
            double[] got = [g.Price, g.Delta, g.Gamma, g.Vega, g.Theta, g.Rho];
            for (int i = 0; i < names.Length; i++)
            {
                double want = v[names[i]];
                double err = Math.Abs(got[i] - want);
                double scaled = err / (Math.Abs(want) + AbsFloor / Rel);
                worst[i] = Math.Max(worst[i], scaled);
                Assert.True(err <= Rel * Math.Abs(want) + AbsFloor * v["strike"],
                    $"{v}: {names[i]} {got[i]:R} vs {want:R} (err {err:E2})");
            }
            Assert.Equal(g.Price, BlackScholes.Price(v.Right, v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], v["vol"]), 14);
        }
        for (int i = 0; i < names.Length; i++)
            output.WriteLine($"{names[i]}: max err/(|ref|+0.01) = {worst[i]:E2}");
    }
}
