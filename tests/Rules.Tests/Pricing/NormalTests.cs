using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

public sealed class NormalTests(ITestOutputHelper output)
{
    [Fact]
    public void Cdf_and_pdf_match_the_50_digit_reference_to_a_few_ulps_down_the_tail()
    {
        double worstCdf = 0, worstPdf = 0;
        foreach (var v in Vectors.Read("normal.csv"))
        {
            double x = v["x"], cdf = v["cdf"], pdf = v["pdf"];
            double ec = Math.Abs(Normal.Cdf(x) / cdf - 1), ep = Math.Abs(Normal.Pdf(x) / pdf - 1);
            worstCdf = Math.Max(worstCdf, ec);
            worstPdf = Math.Max(worstPdf, ep);
            Assert.True(ec < 1e-15, $"{v}: cdf {Normal.Cdf(x):R} rel err {ec:E2}");
            Assert.True(ep < 1e-15, $"{v}: pdf {Normal.Pdf(x):R} rel err {ep:E2}");
        }
        output.WriteLine($"max relative error: cdf {worstCdf:E2}, pdf {worstPdf:E2}");
    }

    [Fact]
    public void Cdf_is_symmetric_and_saturates()
    {
        for (double x = -9; x <= 9; x += 0.37)
            Assert.Equal(1.0, Normal.Cdf(x) + Normal.Cdf(-x), 15);
        Assert.Equal(0.0, Normal.Cdf(-40));
        Assert.Equal(1.0, Normal.Cdf(40));
        Assert.Equal(0.0, Normal.Cdf(double.NegativeInfinity));
        Assert.Equal(1.0, Normal.Cdf(double.PositiveInfinity));
        Assert.True(double.IsNaN(Normal.Cdf(double.NaN)));
    }
}
