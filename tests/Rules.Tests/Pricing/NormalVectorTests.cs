using System.Runtime.Intrinsics;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>The four-lane normal pieces of the American quadratures against the 2-ulp scalar <see cref="Normal"/>.</summary>
public sealed class NormalVectorTests
{
    [Fact]
    public void Cdf_is_within_5e_11_relative_of_the_scalar_one()
    {
        double worst = 0;
        for (int i = 0; i < 4000; i += 4)
        {
            var x = Vector256.Create(-37 + 0.0113 * i, -37 + 0.0113 * (i + 1), -37 + 0.0113 * (i + 2), -37 + 0.0113 * (i + 3));
            var pdf = Vector256.Create(Normal.Pdf(x[0]), Normal.Pdf(x[1]), Normal.Pdf(x[2]), Normal.Pdf(x[3]));
            var cdf = NormalVector.Cdf(x, pdf);
            for (int j = 0; j < 4; j++)
                worst = Math.Max(worst, Math.Abs(cdf[j] / Normal.Cdf(x[j]) - 1));
        }
        Assert.True(worst < 5e-11, $"max relative error {worst:E2}");
    }

    [Fact]
    public void Exp_keeps_arguments_below_minus_700_normal()
    {
        var e = NormalVector.Exp(Vector256.Create(-1e4, -745.0, 0.0, 1.0));
        Assert.Equal(Math.Exp(-700), e[0], 1e-310);
        Assert.Equal(Math.Exp(-700), e[1], 1e-310);
        Assert.Equal(1.0, e[2]);
        Assert.Equal(Math.E, e[3], 1e-15);
    }
}
