using Streamer.PerfTests;

// dotnet run -c Release --project bench/Streamer.PerfTests -- <scenario> [args]
return args.FirstOrDefault() switch
{
    "replay-throughput" => ReplayThroughput.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Streamer.PerfTests replay-throughput [ticks=1000000] [underlyings=100]");
    return 2;
}
