using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Streamer.Rules.Books;
using HdrHistogram;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Service;
namespace Streamer.PerfTests;

/// <summary>
/// Tick-to-exit latency of the live path, end to end on loopback: a paced stream of ticks enters the
/// pipeline (ticks arrive at the wall's pace, as from a live feed), every tick triggers exactly one exit
/// (positions with staggered underlying targets: tick j on an underlying crosses only its j-th
/// position's target), the exit goes through the dispatcher, the SQLite journal (fsync) and the
/// outbox's JetStream publish (acked) of a real nats-server, and a NATS subscriber in this process
/// records ingress → received. Same process, same clock (Stopwatch): no clock skew in the numbers.
/// The engine's clock follows tick time (stamped from a Monday session open at the wall's pace), so the
/// run does not depend on the market being open when it is measured.
/// </summary>
internal static class TickToExitLatency
{
    // tick times run from a Monday 10:00 ET on, at the wall's pace: rules hold outside the session, and a
    // benchmark run on a weekend must still fire. The engine follows tick time (the tape clock), as in streamer run with Feed:Speed
    private static readonly long SessionStartNs = NanoTime.FromDateTime(new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc));

    private const string Book = "books:\n  target_only:\n    rules:\n      underlying_stop: {}\n      underlying_target: {}\n";

    public static int Run(string[] args)
    {
        int exits = Arg(args, 0, 20_000);
        int rate = Arg(args, 1, 1_000);
        int underlyings = Arg(args, 2, 200);
        int shards = Arg(args, 3, 2);
        int perUnderlying = (exits + underlyings - 1) / underlyings;
        exits = perUnderlying * underlyings;
        return RunAsync(exits, rate, underlyings, perUnderlying, shards).GetAwaiter().GetResult();
    }

    /// <summary>
    /// What the outbox sustains: the same workload with the ticks sent as fast as the source can (no pacing),
    /// so exits queue up behind the journal and the JetStream acks; exits/s = exits / (first tick in → last exit received).
    /// </summary>
    public static int RunThroughput(string[] args)
    {
        int exits = Arg(args, 0, 20_000);
        int underlyings = Arg(args, 1, 200);
        int shards = Arg(args, 2, 2);
        int perUnderlying = (exits + underlyings - 1) / underlyings;
        exits = perUnderlying * underlyings;
        return RunAsync(exits, 0, underlyings, perUnderlying, shards).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int exits, int rate, int underlyings, int perUnderlying, int shards)
    {
        var dir = Directory.CreateTempSubdirectory("streamer-latency-").FullName;
        using var server = NatsServer.Start(dir);
        Console.WriteLine($"nats-server on {server.Url}; {exits:N0} exits ({underlyings} underlyings x {perUnderlying}), {(rate > 0 ? $"{rate:N0} ticks/s" : "ticks unpaced")}, {shards} shards; journal {dir}/journal.db");

        using var publisherBus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "latency-service" });
        using var subscriberBus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "latency-subscriber" });
        if (!await publisherBus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)) || !await subscriberBus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)))
        {
            Console.Error.WriteLine($"cannot connect to {server.Url}: {publisherBus.LastError ?? subscriberBus.LastError}");
            return 1;
        }

        // the workload: ticker u, position j targets 100 + 0.01 (j + 1) - 0.005; tick j trades at 100 + 0.01 (j + 1)
        var tickers = Enumerable.Range(0, underlyings).Select(Ticker).ToArray();
        var index = new Dictionary<string, int>(exits, StringComparer.Ordinal);
        var positions = new List<PositionSpec>(exits);
        for (int u = 0; u < underlyings; u++)
            for (int j = 0; j < perUnderlying; j++)
            {
                string id = $"{tickers[u]}-{j}";
                index[id + ":1"] = u * perUnderlying + j;
                positions.Add(new PositionSpec
                {
                    Id = id,
                    Book = "target_only",
                    Legs = [new LegSpec(tickers[u], 100, 100)],
                    OpenedAtNs = SessionStartNs - NanoTime.PerSecond * 60,
                    UnderlyingEntry = 100,
                    StopUnderlying = 50,
                    TargetUnderlying = 100 + 0.01 * (j + 1) - 0.005,
                });
            }

        var ingress = new long[exits];
        // recorded on the NATS client's delivery thread, read here after the run: HdrHistogram's concurrent histogram
        var histogram = new LongConcurrentHistogram(1, SharedLatencyHistogram.HighestNs, 3);
        var outboxShare = new LongConcurrentHistogram(1, SharedLatencyHistogram.HighestNs, 3); // decision on the shard → received: dispatcher, journal commit, JetStream publish
        var gate = new Lock();
        int received = 0, unknown = 0;
        long lastReceived = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = subscriberBus.Subscribe(NatsSubjects.ExitsWildcard, m =>
        {
            long now = Stopwatch.GetTimestamp();
            var id = ExitId.Read(m.Data);
            lock (gate)
            {
                if (!index.TryGetValue(id, out int k)) { unknown++; return; }
                long t0 = Volatile.Read(ref ingress[k]);
                long total = (long)((now - t0) * (1e9 / Stopwatch.Frequency));
                histogram.RecordValue(Math.Clamp(total, 0, SharedLatencyHistogram.HighestNs));
                outboxShare.RecordValue(Math.Clamp(total - ReadLatencyNs(m.Data), 0, SharedLatencyHistogram.HighestNs));
                lastReceived = now;
                if (++received == exits) allIn.TrySetResult();
            }
        });

        using var journal = JournalDatabase.Open(Path.Combine(dir, "journal.db"));
        var js = new JetStreamClient(publisherBus);
        await using var outbox = new ExitOutbox(journal.Exits, js, new ExitOutboxOptions { Capacity = exits + 1 });
        outbox.Start();
        var symbols = new SymbolTable();
        await using var pipeline = new TickPipeline(
            new PipelineOptions { Shards = shards, Clock = ClockMode.Virtual, SnapshotInterval = TimeSpan.Zero, UnmonitoredAfter = TimeSpan.FromHours(1) },
            symbols, BookSet.Parse(Book, "latency-books"), new OutboxExitTarget(outbox, journal.Positions));
        pipeline.Start();
        // with a tape clock a position joins when tick time reaches its opened_at (the first tick): not awaited here
        var added = positions.Select(p => pipeline.AddPositionAsync(p)).ToList();
        var ids = tickers.Select(symbols.Intern).ToArray();

        var source = new PacedSource(ids, perUnderlying, rate, ingress);
        long firstTick = Stopwatch.GetTimestamp();
        var wall = Stopwatch.StartNew();
        await pipeline.RunSourceAsync(source);
        var sent = wall.Elapsed;
        var done = await Task.WhenAny(allIn.Task, Task.Delay(TimeSpan.FromSeconds(120))) == allIn.Task;
        var status = pipeline.Status();
        var refused = added.Count(t => t.IsCompletedSuccessfully && t.Result is not null);
        if (refused > 0) Console.WriteLine($"{refused} positions refused");
        await pipeline.StopAsync();

        lock (gate)
        {
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"ticks sent in {sent.TotalSeconds:F1} s ({exits / sent.TotalSeconds:N0}/s); exits received {received:N0}/{exits:N0}{(unknown > 0 ? $" (+{unknown} unknown ids)" : "")} in {wall.Elapsed.TotalSeconds:F1} s{(done ? "" : " (TIMED OUT)")}"));
            Console.WriteLine(string.Create(inv, $"tick ingress -> exit received on NATS (journal fsync + JetStream ack included): p50 {Us(histogram.GetValueAtPercentile(50))} us, p99 {Us(histogram.GetValueAtPercentile(99))} us, p99.9 {Us(histogram.GetValueAtPercentile(99.9))} us, max {Us(histogram.GetMaxValue())} us"));
            double span = (lastReceived - firstTick) / (double)Stopwatch.Frequency;
            Console.WriteLine(string.Create(inv, $"sustained: {received:N0} exits in {span:F2} s from the first tick in to the last exit received = {received / span:N0} exits/s; journal transactions with exits: {journal.Exits.ExitCommits:N0}, ack-mark transactions: {outbox.MarkRounds:N0}"));
            Console.WriteLine(string.Create(inv, $"of which decision -> received (dispatcher, journal commit, JetStream publish): p50 {Us(outboxShare.GetValueAtPercentile(50))} us, p99 {Us(outboxShare.GetValueAtPercentile(99))} us, p99.9 {Us(outboxShare.GetValueAtPercentile(99.9))} us, max {Us(outboxShare.GetMaxValue())} us"));
            Console.WriteLine(string.Create(inv, $"of which tick -> decision on the shard: p50 {Us(status.TickToDecisionP50Ns)} us, p99 {Us(status.TickToDecisionP99Ns)} us, max {Us(status.TickToDecisionMaxNs)} us; shard stalls {status.ShardStalls}, exit stalls {status.ExitStalls}"));
        }
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return done ? 0 : 1;
    }

    /// <summary>the exit's own tick → decision share (<c>latency_ns</c>, measured on the shard).</summary>
    private static long ReadLatencyNs(byte[] exitJson)
    {
        var reader = new System.Text.Json.Utf8JsonReader(exitJson);
        while (reader.Read())
            if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("latency_ns"u8))
                return reader.Read() ? reader.GetInt64() : 0;
        return 0;
    }

    private static string Us(long ns) => (ns / 1000.0).ToString("F1", CultureInfo.InvariantCulture);

    private static int Arg(string[] args, int i, int fallback) =>
        args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;

    /// <summary>AAA, AAB, ...: 17,576 distinct tickers.</summary>
    private static string Ticker(int i) =>
        new([(char)('A' + i / 676 % 26), (char)('A' + i / 26 % 26), (char)('A' + i % 26)]);

    /// <summary>Round-robin over the underlyings, tick j of each at price 100 + 0.01 (j + 1), paced; stamps each tick's ingress time.</summary>
    private sealed class PacedSource(int[] symbolIds, int perUnderlying, int rate, long[] ingress) : ITickSource
    {
        public string Name => "paced";

        public Task RunAsync(TickIngress sink, FeedMonitor feed, CancellationToken cancellationToken) =>
            Task.Factory.StartNew(() => Pump(sink, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        private void Pump(TickIngress sink, CancellationToken cancel)
        {
            double ticksPerTimestamp = rate > 0 ? rate / (double)Stopwatch.Frequency : double.PositiveInfinity;
            long start = Stopwatch.GetTimestamp();
            long n = 0;
            for (int j = 0; j < perUnderlying && !cancel.IsCancellationRequested; j++)
            {
                double price = 100 + 0.01 * (j + 1);
                for (int u = 0; u < symbolIds.Length; u++, n++)
                {
                    long due = start + (long)(n / ticksPerTimestamp);
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        if (due - Stopwatch.GetTimestamp() > Stopwatch.Frequency / 500) Thread.Sleep(1);
                        else Thread.SpinWait(20);
                    }
                    var tick = new Tick
                    {
                        TimeNs = SessionStartNs + (long)((Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency)),
                        SymbolId = symbolIds[u],
                        Fields = TickFields.Quote | TickFields.Trade,
                        Bid = price - 0.001,
                        Ask = price + 0.001,
                        Last = price,
                    };
                    Volatile.Write(ref ingress[u * perUnderlying + j], Stopwatch.GetTimestamp());
                    sink.Publish(in tick);
                }
            }
        }
    }

    /// <summary>A nats-server -js on a free loopback port, killed on dispose.</summary>
    private sealed class NatsServer : IDisposable
    {
        private readonly Process _process;

        private NatsServer(Process process, int port)
        {
            _process = process;
            Url = $"nats://127.0.0.1:{port}";
        }

        public string Url { get; }

        public static NatsServer Start(string dir)
        {
            var binary = new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("nats-server not found (apt-get install nats-server)");
            int port;
            using (var l = new TcpListener(IPAddress.Loopback, 0))
            {
                l.Start();
                port = ((IPEndPoint)l.LocalEndpoint).Port;
            }
            var psi = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", Path.Combine(dir, "js") })
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            var log = new StringBuilder();
            p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try
                {
                    using var c = new TcpClient();
                    c.Connect(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !p.HasExited)
                {
                    Thread.Sleep(20);
                }
            }
            return new NatsServer(p, port);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }
}
