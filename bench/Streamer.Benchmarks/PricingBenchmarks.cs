using BenchmarkDotNet.Attributes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Benchmarks;

/// <summary>The pricing core per call: European Greeks, implied vol, American price+delta (one boundary solve).</summary>
public class PricingBenchmarks
{
    // a strip of strikes around the money so branch prediction sees a realistic mix
    private const int Strikes = 16;
    private readonly double[] _strikes = new double[Strikes];
    private readonly double[] _callPrices = new double[Strikes];
    private readonly double[] _wingPrices = new double[Strikes];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Strikes; i++)
        {
            _strikes[i] = 80 + 40.0 * i / (Strikes - 1);
            _callPrices[i] = BlackScholes.Price(OptionRight.Call, 100, _strikes[i], 30 / 365.0, 0.045, 0.01, 0.25);
            // 1-day expiry, 3x wider: deep wings and short time
            _wingPrices[i] = BlackScholes.Price(OptionRight.Put, 100, 70 + 60.0 * i / (Strikes - 1), 1 / 365.0, 0.045, 0.01, 0.9);
        }
    }

    [Benchmark(OperationsPerInvoke = Strikes)]
    public double EuropeanGreeks()
    {
        double sum = 0;
        for (int i = 0; i < Strikes; i++)
            sum += BlackScholes.Greeks(OptionRight.Call, 100, _strikes[i], 30 / 365.0, 0.045, 0.01, 0.25).Delta;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Strikes)]
    public double ImpliedVol30Days()
    {
        double sum = 0;
        for (int i = 0; i < Strikes; i++)
        {
            ImpliedVolatility.TrySolve(OptionRight.Call, _callPrices[i], 100, _strikes[i], 30 / 365.0, 0.045, 0.01, out double vol);
            sum += vol;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Strikes)]
    public double ImpliedVolOneDayWings()
    {
        double sum = 0;
        for (int i = 0; i < Strikes; i++)
        {
            ImpliedVolatility.TrySolve(OptionRight.Put, _wingPrices[i], 100, 70 + 60.0 * i / (Strikes - 1), 1 / 365.0, 0.045, 0.01, out double vol);
            sum += vol;
        }
        return sum;
    }

    // expiries 1 day to 2 years, puts and calls, strikes across the money: the mix a chain sees
    private static readonly (OptionRight Right, double Strike, double Days, double Vol)[] AmericanMix =
    [
        (OptionRight.Put, 95, 1, 0.6), (OptionRight.Call, 105, 1, 0.6), (OptionRight.Put, 100, 7, 0.35), (OptionRight.Call, 98, 7, 0.35),
        (OptionRight.Put, 110, 30, 0.25), (OptionRight.Call, 90, 30, 0.25), (OptionRight.Put, 100, 30, 0.25), (OptionRight.Call, 102, 60, 0.3),
        (OptionRight.Put, 90, 91, 0.3), (OptionRight.Call, 110, 91, 0.3), (OptionRight.Put, 105, 182, 0.2), (OptionRight.Call, 95, 182, 0.2),
        (OptionRight.Put, 100, 365, 0.15), (OptionRight.Call, 120, 365, 0.4), (OptionRight.Put, 80, 730, 0.5), (OptionRight.Call, 100, 730, 0.1),
    ];

    [Benchmark(OperationsPerInvoke = 16)]
    public double AmericanPriceDeltaMix()
    {
        double sum = 0;
        foreach (var (right, strike, days, vol) in AmericanMix)
            sum += AmericanOption.Value(right, 100, strike, days / 365.0, 0.045, 0.02, vol).Delta;
        return sum;
    }

    [Benchmark]
    public double AmericanPutPriceDelta()
        => AmericanOption.Value(OptionRight.Put, 97, 100, 91 / 365.0, 0.045, 0.01, 0.3).Delta;

    [Benchmark]
    public double AmericanCallPriceDeltaWithDividend()
        => AmericanOption.Value(OptionRight.Call, 103, 100, 182 / 365.0, 0.045, 0.03, 0.25).Delta;

    [Benchmark]
    public double AmericanPutLowVolHighRate() // r/σ² = 12.5: the Jacobi–Newton steps engage
        => AmericanOption.Value(OptionRight.Put, 100, 100, 730 / 365.0, 0.08, 0.0, 0.08).Delta;

    [Benchmark]
    public double AmericanGreeks() // price, delta, gamma + 4 bumped re-solves (from the base boundary) for vega and rho
        => AmericanOption.Greeks(OptionRight.Put, 97, 100, 91 / 365.0, 0.045, 0.01, 0.3).Vega;
}
