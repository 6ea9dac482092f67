using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>
/// The tick path's FD implied vol (the leg's mesh buffers, its slope ratio, the guess priced off the
/// kept mesh): the round trip on the QuantLib dividend vectors, and the mesh it leaves is the one a
/// fresh solve at the returned vol gives.
/// </summary>
public sealed class DividendAmericanWarmTests(ITestOutputHelper output)
{
    [Fact]
    public void Warm_mesh_implied_vol_round_trips_to_1e_6_and_leaves_the_mesh_at_the_answer()
    {
        double worst = 0;
        int solved = 0;
        var failures = new List<string>();
        var x = new double[DividendAmerican.SpaceNodes];
        var v = new double[DividendAmerican.SpaceNodes];
        var freshX = new double[DividendAmerican.SpaceNodes];
        var freshV = new double[DividendAmerican.SpaceNodes];
        foreach (var vec in Vectors.Read("american_dividends.csv").Where((_, i) => i % 6 == 0))
        {
            var divs = vec.Dividends;
            double s = vec["spot"], k = vec["strike"], t = vec.Years, r = vec["rate"], q = vec["dividend"], vol = vec["vol"];
            double price = DividendAmerican.Value(vec.Right, s, k, t, r, q, vol, divs).Price;
            if (DividendAmerican.Value(vec.Right, s, k, t, r, q, vol * 1.001, divs).Price - price < 1e-7) continue; // no vol to find
            // the leg as the last quote left it: its mesh at an IV 1 % away, solved 10 s ago
            var ratio = new VegaRatio();
            double last = vol * 1.01, age = 10 / (365 * 86400.0);
            DividendAmerican.Solve(vec.Right, s, k, t + age, r, q, last, divs, x, v);
            var status = DividendAmerican.TrySolveVol(vec.Right, price, s, k, t, r, q, divs, last, ref ratio, x, v, age, out double iv, out bool meshAtVol);
            solved++;
            double err = Math.Abs(iv - vol);
            worst = Math.Max(worst, err);
            if (status != IvStatus.Ok || err > 1e-6) { failures.Add($"{vec}: {status} iv {iv:R}"); continue; }
            if (!meshAtVol) { failures.Add($"{vec}: no mesh at the answer"); continue; }
            DividendAmerican.Solve(vec.Right, s, k, t, r, q, iv, divs, freshX, freshV);
            if (!x.AsSpan().SequenceEqual(freshX) || !v.AsSpan().SequenceEqual(freshV)) failures.Add($"{vec}: the mesh left is not the one at iv {iv:R}");
        }
        output.WriteLine($"{solved} solves, max |iv − vol| {worst:E2}");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(20))}");
        Assert.True(solved > 100, $"{solved} solves");
    }
}
