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

    [Benchmark]
    public double AmericanPutPriceDelta()
        => AmericanOption.Value(OptionRight.Put, 97, 100, 91 / 365.0, 0.045, 0.01, 0.3).Delta;

    [Benchmark]
    public double AmericanCallPriceDeltaWithDividend()
        => AmericanOption.Value(OptionRight.Call, 103, 100, 182 / 365.0, 0.045, 0.03, 0.25).Delta;

    [Benchmark]
    public double AmericanGreeks() // price, delta, gamma + 4 bumped boundary solves for vega and rho
        => AmericanOption.Greeks(OptionRight.Put, 97, 100, 91 / 365.0, 0.045, 0.01, 0.3).Vega;
}
