using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>
/// The ALO engine from a leg's warm state (the kept exercise boundary, re-solved from the last one): the
/// same QuantLib 1.29 vectors and tolerances as the cold engine, the implied vol round trip, and the
/// same numbers for the same sequence of inputs.
/// </summary>
public sealed class AmericanWarmStartTests(ITestOutputHelper output)
{
    private const double PriceTolerance = 0.001, DeltaTolerance = 0.002;

    [Theory]
    [InlineData(1.0, 1.0)]      // same vol, clock 1 % on: the kept boundary, no solve
    [InlineData(1.08, 1.01)]    // vol 8 % off, clock on: re-solved from the kept boundary
    [InlineData(0.7, 1.0)]      // a large vol move
    [InlineData(1.0, 1.02)]     // the kept boundary is for a shorter maturity (never on the tick path): re-solved from its nodes
    public void Warm_values_match_quantlib_qdfp(double volFactor, double maturityFactor)
    {
        double worstPrice = 0, worstDelta = 0;
        var failures = new List<string>();
        int reuses = 0, solves = 0;
        foreach (var v in Vectors.Read("american.csv"))
        {
            double t = v.Years, vol = v["vol"];
            var warm = new AmericanWarmStart();
            // the state as an earlier tick left it: solved at another vol and a longer maturity
            AmericanOption.Value(v.Right, v["spot"] * 1.01, v["strike"], t / (maturityFactor * 0.99), v["rate"], v["dividend"], vol * volFactor, ref warm);
            int solvedBefore = warm.Solves;
            var a = AmericanOption.Value(v.Right, v["spot"], v["strike"], t, v["rate"], v["dividend"], vol, ref warm);
            if (warm.Solves == solvedBefore && warm.HasBoundary) reuses++; else solves++;
            double ep = Math.Abs(a.Price - v["price"]), ed = Math.Abs(a.Delta - v["delta"]);
            worstPrice = Math.Max(worstPrice, ep);
            worstDelta = Math.Max(worstDelta, ed);
            if (ep > PriceTolerance || ed > DeltaTolerance || !double.IsFinite(a.Gamma))
                failures.Add($"{v}: price {a.Price:R} delta {a.Delta:R}");
        }
        output.WriteLine($"max |price err| {worstPrice:E2}, max |delta err| {worstDelta:E2}; {reuses} reused, {solves} solved");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(20))}");
        if (volFactor == 1.0 && maturityFactor == 1.0) Assert.True(reuses > 1000, $"{reuses} reuses");
    }

    [Fact]
    public void Warm_implied_vol_follows_a_quote_sequence_to_1e_6_in_few_evaluations()
    {
        var rng = new Random(14);
        double worst = 0;
        int quotes = 0, solves = 0;
        var failures = new List<string>();
        for (int leg = 0; leg < 40; leg++)
        {
            var right = rng.Next(3) == 0 ? OptionRight.Call : OptionRight.Put;
            double s = 100 * Math.Exp(0.4 * rng.NextDouble() - 0.2), t = (5 + rng.Next(360)) / 365.0;
            double r = 0.02 + 0.05 * rng.NextDouble(), q = right == OptionRight.Call ? 0.02 + 0.05 * rng.NextDouble() : 0.01 * rng.NextDouble();
            double vol = 0.15 + 0.5 * rng.NextDouble();
            var warm = new AmericanWarmStart();
            double iv = double.NaN;
            for (int n = 0; n < 50; n++)
            {
                // a quote a few seconds on: spot, vol and clock move a little
                s *= Math.Exp(0.002 * (rng.NextDouble() - 0.5));
                vol *= Math.Exp(0.01 * (rng.NextDouble() - 0.5));
                t -= 5.0 / (365 * 86400);
                double price = AmericanOption.Price(right, s, 100, t, r, q, vol);
                if (AmericanOption.Greeks(right, s, 100, t, r, q, vol).Vega < 0.05) continue; // deep in the exercise region: no vol to find
                int before = warm.Solves + warm.Reuses;
                var status = AmericanOption.TrySolveVol(right, price, s, 100, t, r, q, iv, ref warm, out double solved, out var value);
                quotes++;
                solves += warm.Solves + warm.Reuses - before;
                double err = Math.Abs(solved - vol);
                worst = Math.Max(worst, err);
                if (status != IvStatus.Ok || err > 1e-6) failures.Add($"{right} S={s} t={t} r={r} q={q} vol={vol}: {status} iv {solved}");
                var cold = AmericanOption.Value(right, s, 100, t, r, q, solved);
                if (Math.Abs(value.Price - cold.Price) > 1e-4 || Math.Abs(value.Delta - cold.Delta) > 1e-4)
                    failures.Add($"value at the iv {value} against the cold {cold}");
                iv = solved;
            }
        }
        output.WriteLine($"{quotes} quotes, max |iv − vol| {worst:E2}, {(double)solves / quotes:F2} evaluations per quote");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(20))}");
        Assert.True((double)solves / quotes < 4, $"{(double)solves / quotes:F2} evaluations per quote");
    }

    [Fact]
    public void The_same_inputs_in_the_same_order_give_the_same_bits()
    {
        static double[] Run()
        {
            var warm = new AmericanWarmStart();
            var outputs = new List<double>();
            double iv = double.NaN, s = 95, t = 40 / 365.0;
            for (int n = 0; n < 30; n++)
            {
                s += n % 3 == 0 ? 0.05 : -0.03;
                t -= 1e-6;
                double price = 5.6 + 0.01 * (n % 5);
                AmericanOption.TrySolveVol(OptionRight.Put, price, s, 100, t, 0.045, 0, iv, ref warm, out iv, out var value);
                outputs.Add(iv);
                outputs.Add(value.Delta);
                outputs.Add(AmericanOption.Value(OptionRight.Put, s + 0.1, 100, t, 0.045, 0, iv, ref warm).Delta);
            }
            return [.. outputs];
        }
        Assert.Equal(Run(), Run());
    }
}
