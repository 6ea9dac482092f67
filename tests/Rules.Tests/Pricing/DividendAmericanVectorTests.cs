using Streamer.Rules.Pricing;
using Xunit.Abstractions;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>
/// DividendAmerican against QuantLib 1.29: DividendVanillaOption, FdBlackScholesVanillaEngine on a
/// 2000 × 2000 grid, cash dividend model Spot (vectors/american_dividends.csv, written by
/// tools/quantlib/generate_dividend_vectors.py).
/// </summary>
public sealed class DividendAmericanVectorTests(ITestOutputHelper output)
{
    private const double PriceTolerance = 0.001, DeltaTolerance = 0.002;

    [Fact]
    public void Price_and_delta_match_quantlib_fd_spot_model()
    {
        double worstPrice = 0, worstDelta = 0;
        string worstPriceAt = "", worstDeltaAt = "";
        var failures = new List<string>();
        int count = 0;
        foreach (var v in Vectors.Read("american_dividends.csv"))
        {
            count++;
            var a = DividendAmerican.Value(v.Right, v["spot"], v["strike"], v.Years, v["rate"], v["dividend"], v["vol"], v.Dividends);
            double ep = Math.Abs(a.Price - v["price"]), ed = Math.Abs(a.Delta - v["delta"]);
            if (ep > worstPrice) { worstPrice = ep; worstPriceAt = v.ToString(); }
            if (ed > worstDelta) { worstDelta = ed; worstDeltaAt = v.ToString(); }
            if (ep > PriceTolerance || ed > DeltaTolerance || !double.IsFinite(a.Gamma))
                failures.Add($"{v}: price {a.Price:R} delta {a.Delta:R} gamma {a.Gamma:R}");
        }
        output.WriteLine($"{count} vectors");
        output.WriteLine($"max |price err| {worstPrice:E2} at {worstPriceAt}");
        output.WriteLine($"max |delta err| {worstDelta:E2} at {worstDeltaAt}");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(20))}");
    }
}
