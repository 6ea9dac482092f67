using Streamer.PerfTests;

// dotnet run -c Release --project bench/Streamer.PerfTests -- <scenario> [args]
return args.FirstOrDefault() switch
{
    "replay-throughput" => ReplayThroughput.Run(args[1..]),
    "replay-scaling" => ReplayScaling.Run(args[1..]),
    "latency" => TickToExitLatency.Run(args[1..]),
    "outbox-throughput" => TickToExitLatency.RunThroughput(args[1..]),
    "latency-matrix" => TickToExitLatency.RunMatrix(args[1..]),
    "journal-throughput" => JournalThroughput.Run(args[1..]),
    "intake-throughput" => await IntakeThroughput.RunAsync(args[1..]),
    "gateway-fanout" => await GatewayFanout.RunAsync(args[1..]),
    "state-store" => await StateStoreMeasure.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Streamer.PerfTests replay-throughput [ticks=1000000] [underlyings=100] [--european]   (parse only, single- and two-thread replay, replay/parse; CSV and binary)");
    Console.Error.WriteLine("       Streamer.PerfTests replay-scaling [tick_scale=1.0] [--european]   (1/10/100 positions per underlying, 1k/10k/100k positions)");
    Console.Error.WriteLine("       Streamer.PerfTests latency [exits=20000] [ticks_per_second=1000] [underlyings=200] [shards=2] [--durability publish-first|journal-first] [--wait block|spin|yield|busy] [--publish-from shard|exit-thread]");
    Console.Error.WriteLine("       Streamer.PerfTests outbox-throughput [exits=20000] [underlyings=200] [shards=2] [--durability ...] [--wait ...]");
    Console.Error.WriteLine("       Streamer.PerfTests journal-throughput [exits=60000] [batch=256]");
    Console.Error.WriteLine("       Streamer.PerfTests intake-throughput [fills=10000]   (opens, then resizes: direct and over NATS)");
    Console.Error.WriteLine("       Streamer.PerfTests gateway-fanout [ticks=1000000] [underlyings=100]   (the feed gateway's tick publisher into a real nats-server)");
    Console.Error.WriteLine("       Streamer.PerfTests state-store [rounds=200]   (partition checkpoints of 10/100/500 positions: SQLite file vs JetStream KV on a real nats-server)");
    Console.Error.WriteLine("       Streamer.PerfTests latency-matrix [--wait ...]   (both durabilities at 200/s, 1,000/s and unpaced: one table)");
    return 2;
}
