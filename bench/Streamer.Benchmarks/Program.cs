using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Streamer.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Streamer.Benchmarks.BenchmarkConfig).Assembly).Run(args, new Streamer.Benchmarks.BenchmarkConfig());
