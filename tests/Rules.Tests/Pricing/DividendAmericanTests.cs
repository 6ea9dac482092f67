using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>DividendAmerican: implied-vol round trips, and its no-dividend limit against the independent ALO engine.</summary>
public sealed class DividendAmericanTests(ITestOutputHelper output)
{
    [Fact]
    public void Implied_vol_of_american_prices_round_trips_to_1e_6()
    {
        double worst = 0;
        int solved = 0, skipped = 0;
        var failures = new List<string>();
        // every 4th vector (calls and puts, 2 d – 1 y, across ex-dates), priced here, then solved back
        foreach (var v in Vectors.Read("american_dividends.csv").Where((_, i) => i % 4 == 0))
        {
            var divs = v.Dividends;
            double vol = v["vol"];
            double price = DividendAmerican.Value(v.Right, v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], vol, divs).Price;
            double bumped = DividendAmerican.Value(v.Right, v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], vol * 1.001, divs).Price;
            // a price that a 0.1 % vol change moves by less than 1e-7 pins no vol (deep in the money, at the exercise value)
            if (bumped - price < 1e-7) { skipped++; continue; }
            foreach (double guess in new[] { double.NaN, vol * 1.05 })
            {
                var status = DividendAmerican.TrySolveVol(v.Right, price, v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], divs, guess, out double iv);
                double err = Math.Abs(iv - vol);
                worst = Math.Max(worst, err);
                solved++;
                if (status != IvStatus.Ok || err > 1e-6) failures.Add($"{v} guess {guess}: {status} iv {iv:R}");
            }
        }
        output.WriteLine($"{solved} solves, {skipped} unidentifiable skipped, max |iv − vol| {worst:E2}");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(20))}");
        Assert.True(solved > 300);
    }

    [Theory]
    [InlineData(OptionRight.Put, 100, 30, 0.3)]
    [InlineData(OptionRight.Put, 90, 91, 0.2)]
    [InlineData(OptionRight.Put, 110, 365, 0.4)]
    [InlineData(OptionRight.Put, 80, 182, 0.25)]
    [InlineData(OptionRight.Call, 105, 91, 0.3)]
    public void Without_dividends_it_agrees_with_the_alo_engine(OptionRight right, double spot, int days, double vol)
    {
        // the ALO engine is checked against QuantLib's QdFp (1.5e-4); q > 0 for the call so it has early exercise
        double q = right == OptionRight.Call ? 0.03 : 0;
        var alo = AmericanOption.Value(right, spot, 100, days / 365.0, 0.045, q, vol);
        var fd = DividendAmerican.Value(right, spot, 100, days / 365.0, 0.045, q, vol, []);
        Assert.InRange(fd.Price - alo.Price, -0.001, 0.001);
        Assert.InRange(fd.Delta - alo.Delta, -0.002, 0.002);
        Assert.InRange(fd.Gamma - alo.Gamma, -0.002, 0.002);
    }

    [Fact]
    public void A_mesh_solved_once_prices_nearby_spots_as_a_fresh_solve_does()
    {
        Span<double> x = stackalloc double[DividendAmerican.SpaceNodes];
        Span<double> v = stackalloc double[DividendAmerican.SpaceNodes];
        CashDividend[] divs = [new(30 / 365.0, 0.8)];
        DividendAmerican.Solve(OptionRight.Put, 100, 100, 60 / 365.0, 0.045, 0, 0.3, divs, x, v);
        foreach (double spot in new[] { 97.0, 99.5, 100.3, 103.0 })
        {
            Assert.True(DividendAmerican.Covers(x, spot));
            var cached = DividendAmerican.At(x, v, spot);
            var fresh = DividendAmerican.Value(OptionRight.Put, spot, 100, 60 / 365.0, 0.045, 0, 0.3, divs);
            Assert.InRange(cached.Price - fresh.Price, -5e-4, 5e-4);
            Assert.InRange(cached.Delta - fresh.Delta, -1e-3, 1e-3);
        }
        Assert.False(DividendAmerican.Covers(x, 20));
    }
}
