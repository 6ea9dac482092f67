using System.Diagnostics;
using System.Globalization;
using Streamer.Stream.Cluster.State;
using Streamer.Stream.Nats;

namespace Streamer.PerfTests;

/// <summary>
/// The partition state store's two adapters side by side (docs/cluster.md "State that travels"): for
/// checkpoints of 10, 100 and 500 positions (a definition of about 300 bytes and a rule state of about
/// 120 each), <c>rounds</c> compare-and-set saves in a chain and as many loads; then <c>rounds</c> fill
/// appends. SQLite on a temp file (synchronous=FULL: every save is fsynced); NATS on a real
/// nats-server on loopback with JetStream file storage. Prints median and p99 per operation, the
/// checkpoint's encoded bytes and the NATS/SQLite ratio of the medians, from the same run.
/// </summary>
internal static class StateStoreMeasure
{
    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int rounds = args.Length > 0 ? int.Parse(args[0], inv) : 200;
        var dir = Directory.CreateTempSubdirectory("streamer-state-bench-").FullName;
        try
        {
            using var server = TickToExitLatency.NatsServer.Start(Path.Combine(dir, "nats"));
            using var bus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "state-bench" });
            if (!await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20))) throw new InvalidOperationException("no NATS");
            await using var nats = await NatsKvPartitionStateStore.OpenAsync(new JetStreamClient(bus), 64, "state-bench");
            await using var sqlite = SqlitePartitionStateStore.Open(Path.Combine(dir, "state.db"), 64);
            Console.WriteLine(string.Create(inv, $"{rounds} rounds each; median / p99 in microseconds"));
            Console.WriteLine("positions | bytes (KV value) | SQLite save | SQLite load | NATS save | NATS load | NATS/SQLite save | NATS/SQLite load");
            foreach (int positions in (int[])[10, 100, 500])
            {
                var checkpoint = Checkpoint(positions);
                int bytes = nats.EncodedSize(positions % 64, checkpoint);
                var (sSave, sLoad) = await MeasureAsync(sqlite, positions % 64, checkpoint, rounds);
                var (nSave, nLoad) = await MeasureAsync(nats, positions % 64, checkpoint, rounds);
                Console.WriteLine(string.Create(inv,
                    $"{positions} | {bytes} | {Med(sSave):0} / {P99(sSave):0} | {Med(sLoad):0} / {P99(sLoad):0} | {Med(nSave):0} / {P99(nSave):0} | {Med(nLoad):0} / {P99(nLoad):0} | {Med(nSave) / Med(sSave):0.00} | {Med(nLoad) / Med(sLoad):0.00}"));
            }
            var sFill = await FillsAsync(sqlite, rounds);
            var nFill = await FillsAsync(nats, rounds);
            Console.WriteLine(string.Create(inv, $"fill append: SQLite {Med(sFill):0} / {P99(sFill):0} us, NATS {Med(nFill):0} / {P99(nFill):0} us (NATS/SQLite {Med(nFill) / Med(sFill):0.00})"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(double[] Save, double[] Load)> MeasureAsync(IPartitionStateStore store, int partition, PartitionCheckpoint checkpoint, int rounds)
    {
        var save = new double[rounds];
        var load = new double[rounds];
        ulong revision = (await store.LoadAsync(partition))?.Revision ?? 0;
        for (int i = -10; i < rounds; i++) // 10 warm-up rounds
        {
            long t0 = Stopwatch.GetTimestamp();
            var saved = await store.SaveAsync(partition, checkpoint with { TickSequence = (ulong)(i + 100) }, revision);
            long t1 = Stopwatch.GetTimestamp();
            if (!saved.Saved) throw new InvalidOperationException(saved.Refusal);
            revision = saved.Revision;
            var loaded = await store.LoadAsync(partition);
            long t2 = Stopwatch.GetTimestamp();
            if (loaded?.Revision != revision) throw new InvalidOperationException("load did not see the save");
            if (i < 0) continue;
            save[i] = Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
            load[i] = Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds;
        }
        return (save, load);
    }

    private static async Task<double[]> FillsAsync(IPartitionStateStore store, int rounds)
    {
        var times = new double[rounds];
        for (int i = 0; i < rounds; i++)
        {
            var fill = new PartitionFill($"alpaca:bench-order:{i}", "P1", """{"symbol":"SPY260220P00580000","qty":-5,"price":1.25,"time":"2026-02-20T15:00:00Z"}""");
            long t0 = Stopwatch.GetTimestamp();
            if (await store.AppendFillAsync(7, fill) != FillAppend.Appended) throw new InvalidOperationException("duplicate");
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        return times;
    }

    private static PartitionCheckpoint Checkpoint(int positions) => new(1_767_225_600_000_000_000, 1, 1, [.. Enumerable.Range(0, positions).Select(i => new PartitionPosition(
        $"pos-{i:D5}",
        $$$"""{"id":"pos-{{{i:D5}}}","underlying":"SPY","legs":[{"symbol":"SPY260220P{{{580000 + i:D8}}}","qty":10,"entry_price":2.15}],"rules":{"stop_loss":{"pct":0.5},"take_profit":[{"pct":0.5,"fraction":0.5},{"pct":1.0,"fraction":0.5}],"trailing":{"pct":0.25}},"opened_at":"2026-02-02T15:00:00Z"}""",
        PartitionPositionStatus.Open,
        $$"""{"remaining":10,"tranches":1,"next_sequence":2,"trailing_peak":3.{{i % 100:D2}},"fill_watermark":{{i}},"closed":false}""",
        [0], 2))]);

    private static double Med(double[] v) => Quantile(v, 0.5);

    private static double P99(double[] v) => Quantile(v, 0.99);

    private static double Quantile(double[] v, double q)
    {
        var sorted = v.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
    }
}
