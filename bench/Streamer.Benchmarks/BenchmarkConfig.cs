using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Streamer.Benchmarks;

/// <summary>Every benchmark reports allocations: the per-tick path must show 0 B.</summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        Add(DefaultConfig.Instance);
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
