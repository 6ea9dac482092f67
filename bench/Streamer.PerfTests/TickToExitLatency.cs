using System.Runtime;
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

    private sealed record Settings(ExitDurability Durability, string Wait, string PublishFrom);

    private sealed record Figures(string Name, LongConcurrentHistogram Total, LongConcurrentHistogram Bare, double Cpu, double ServerCpu, double ExitsPerSecond);

    /// <summary>latency [exits] [ticks/s] [underlyings] [shards] [--durability publish-first|journal-first] [--wait block|spin|yield|busy]</summary>
    public static int Run(string[] args)
    {
        var (rest, settings) = Options(args);
        int exits = Arg(rest, 0, 20_000);
        int rate = Arg(rest, 1, 1_000);
        int underlyings = Arg(rest, 2, 200);
        int shards = Arg(rest, 3, 2);
        var f = RunAsync(exits, rate, underlyings, shards, settings).GetAwaiter().GetResult();
        return f is null ? 1 : 0;
    }

    /// <summary>
    /// What the outbox sustains: the same workload with the ticks sent as fast as the source can (no pacing),
    /// so exits queue up behind the journal and the JetStream acks; exits/s = exits / (first tick in → last exit received).
    /// </summary>
    public static int RunThroughput(string[] args)
    {
        var (rest, settings) = Options(args);
        int exits = Arg(rest, 0, 20_000);
        int underlyings = Arg(rest, 1, 200);
        int shards = Arg(rest, 2, 2);
        return RunAsync(exits, 0, underlyings, shards, settings).GetAwaiter().GetResult() is null ? 1 : 0;
    }

    /// <summary>matrix [--wait ...]: both durabilities at 200 and 1,000 exits/s and unpaced; one table at the end.</summary>
    public static int RunMatrix(string[] args)
    {
        var (_, settings) = Options(args);
        var rows = new List<Figures>();
        foreach (var durability in new[] { ExitDurability.PublishFirst, ExitDurability.JournalFirst })
        {
            var s = settings with { Durability = durability };
            // unpaced: 20 positions per underlying, as paced at 200/s (300 per underlying would measure the engine, not the outbox)
            foreach (var (exits, rate, underlyings) in new[] { (4_000, 200, 200), (10_000, 1_000, 200), (60_000, 0, 3_000) })
            {
                var f = RunAsync(exits, rate, underlyings, 2, s).GetAwaiter().GetResult();
                if (f is null) return 1;
                rows.Add(f);
                Console.WriteLine();
            }
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine("| run | tick→exit p50 / p99 / p99.9 (µs) | bare p50 / p99 / p99.9 (µs) | ratio p50 / p99 / p99.9 | exits/s | CPU (cores) streamer / nats-server |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine(string.Create(inv, $"| {r.Name} | {Us(P(r.Total, 50))} / {Us(P(r.Total, 99))} / {Us(P(r.Total, 99.9))} | {Us(P(r.Bare, 50))} / {Us(P(r.Bare, 99))} / {Us(P(r.Bare, 99.9))} | {Ratio(r, 50)} / {Ratio(r, 99)} / {Ratio(r, 99.9)} | {r.ExitsPerSecond:N0} | {r.Cpu:F2} / {r.ServerCpu:F2} |"));
        return 0;
    }

    private static string Ratio(Figures r, double q) => r.Bare.TotalCount == 0 ? "—" : (P(r.Total, q) / (double)Math.Max(1, P(r.Bare, q))).ToString("F2", CultureInfo.InvariantCulture);

    private static long P(HistogramBase h, double q) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(q);

    private static (string[] Args, Settings Options) Options(string[] args)
    {
        var rest = new List<string>();
        var durability = ExitDurability.PublishFirst;
        string wait = "spin";
        string publishFrom = "shard";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--durability" && i + 1 < args.Length) durability = args[++i] == "journal-first" ? ExitDurability.JournalFirst : ExitDurability.PublishFirst;
            else if (args[i] == "--wait" && i + 1 < args.Length) wait = args[++i];
            else if (args[i] == "--publish-from" && i + 1 < args.Length) publishFrom = args[++i];
            else rest.Add(args[i]);
        }
        return ([.. rest], new Settings(durability, wait, publishFrom));
    }

    private static async Task<Figures?> RunAsync(int exits, int rate, int underlyings, int shards, Settings settings)
    {
        int perUnderlying = (exits + underlyings - 1) / underlyings;
        exits = perUnderlying * underlyings;
        var dir = Directory.CreateTempSubdirectory("streamer-latency-").FullName;
        using var server = NatsServer.Start(dir);
        string durability = settings.Durability == ExitDurability.PublishFirst ? "publish-first" : "journal-first";
        string name = $"{durability}, {(rate > 0 ? $"{rate:N0}/s" : "unpaced")}";
        Console.WriteLine($"[{name}] nats-server on {server.Url}; {exits:N0} exits ({underlyings} underlyings x {perUnderlying}), {(rate > 0 ? $"{rate:N0} ticks/s" : "ticks unpaced")}, {shards} shards, Exits:Durability={durability}, Pipeline:Wait={settings.Wait}, Pipeline:PublishFrom={settings.PublishFrom}");

        using var publisherBus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "latency-service" });
        using var subscriberBus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "latency-subscriber" });
        if (!await publisherBus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)) || !await subscriberBus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)))
        {
            Console.Error.WriteLine($"cannot connect to {server.Url}: {publisherBus.LastError ?? subscriberBus.LastError}");
            return null;
        }

        // 0. warm-up: the same path, unpaced, on its own journal and tickers, until every exit is acked. A service runs for
        // hours: its exits run tier-1 code. Without this, the first seconds measure the JIT (perf: a quarter of all samples)
        await WarmUpAsync(publisherBus, dir, settings);

        // 1. the baseline, on the same server and clients: a bare publish -> receive at the same pace, payloads of an exit's size
        var bare = rate > 0 ? await BareAsync(publisherBus, subscriberBus, Math.Min(exits, 4_000), rate) : new LongConcurrentHistogram(1, SharedLatencyHistogram.HighestNs, 3);

        // 2. the workload: ticker u, position j targets 100 + 0.01 (j + 1) - 0.005; tick j trades at 100 + 0.01 (j + 1)
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
        var sentAt = new long[exits]; // written to the NATS client (publish-first exits); 0: went journal-first
        // recorded on the NATS client's delivery thread, read here after the run: HdrHistogram's concurrent histogram
        var total = NewHistogram();
        var toShard = NewHistogram();   // ingress -> decision on the shard (latency_ns: the shard's queue and its wake-up included)
        var toWire = NewHistogram();    // decision -> written to the NATS client
        var wireToSub = NewHistogram(); // written -> received by the subscriber (client writer, socket, server, subscriber's delivery)
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
                long all = Ns(now - t0);
                long decision = ReadLatencyNs(m.Data);
                Record(total, all);
                Record(toShard, decision);
                long sent = Volatile.Read(ref sentAt[k]);
                if (sent != 0)
                {
                    Record(toWire, Ns(sent - t0) - decision);
                    Record(wireToSub, Ns(now - sent));
                }
                lastReceived = now;
                if (++received == exits) allIn.TrySetResult();
            }
        });

        using var journal = JournalDatabase.Open(Path.Combine(dir, "journal.db"));
        var js = new JetStreamClient(publisherBus);
        await using var outbox = new ExitOutbox(journal.Exits, js, new ExitOutboxOptions { Capacity = exits + 1, Durability = settings.Durability });
        outbox.SentFirst = (e, ts) =>
        {
            if (index.TryGetValue(e.Id, out int k)) Volatile.Write(ref sentAt[k], ts);
        };
        outbox.Start();
        var symbols = new SymbolTable();
        var section = new PipelineSectionOptions { Wait = settings.Wait };
        await using var pipeline = new TickPipeline(
            new PipelineOptions
            {
                Shards = shards, Clock = ClockMode.Virtual, SnapshotInterval = TimeSpan.Zero, UnmonitoredAfter = TimeSpan.FromHours(1),
                SpinBeforeSleep = section.WaitSpin, YieldBeforeSleep = section.WaitYield, PublishOnShard = settings.PublishFrom == "shard",
            },
            symbols, BookSet.Parse(Book, "latency-books"), new OutboxExitTarget(outbox, journal.Positions));
        pipeline.Start();
        // with a tape clock a position joins when tick time reaches its opened_at (the first tick): not awaited here
        var added = positions.Select(p => pipeline.AddPositionAsync(p)).ToList();
        var ids = tickers.Select(symbols.Intern).ToArray();
        // the stream is ensured and the lane open before the first tick (a service's first exits would find it so, too)
        for (int i = 0; i < 500 && settings.Durability == ExitDurability.PublishFirst && !outbox.LaneOpen; i++) await Task.Delay(10);

        // the positions join before the clock starts: one tick of a symbol none holds, 30 s before the workload,
        // brings tape time past their opened_at. Without it the first ticks wait behind every join (10,000-60,000
        // adds at the first tick): what the p99 and the unpaced rate then measured was the joining, not the exits
        pipeline.Ingress.Publish(Tick.Trade(SessionStartNs - NanoTime.PerSecond * 30, symbols.Intern("JOIN"), 1));
        await pipeline.FlushAsync();
        await Task.WhenAll(added);
        await pipeline.FlushAsync();

        var source = new PacedSource(ids, perUnderlying, rate, ingress);
        var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: false);
        long exitThread0 = pipeline.Exits.ExitThreadAllocatedBytes;
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var serverCpu0 = server.Cpu;
        long firstTick = Stopwatch.GetTimestamp();
        var wall = Stopwatch.StartNew();
        await pipeline.RunSourceAsync(source);
        var sent = wall.Elapsed;
        var done = await Task.WhenAny(allIn.Task, Task.Delay(TimeSpan.FromSeconds(120))) == allIn.Task;
        for (int i = 0; i < 1000 && outbox.Backlog > 0; i++) await Task.Delay(10); // every exit acked and journaled
        var elapsed = wall.Elapsed;
        self.Refresh();
        double cpu = (self.TotalProcessorTime - cpu0).TotalSeconds / elapsed.TotalSeconds;
        double serverCpu = (server.Cpu - serverCpu0).TotalSeconds / elapsed.TotalSeconds;
        long allocatedPerExit = (GC.GetTotalAllocatedBytes(precise: false) - allocated0) / Math.Max(1, exits);
        long exitThreadPerExit = (pipeline.Exits.ExitThreadAllocatedBytes - exitThread0) / Math.Max(1, exits);
        string gcs = $"{GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}";
        var status = pipeline.Status();
        var refused = added.Count(t => t.IsCompletedSuccessfully && t.Result is not null);
        if (refused > 0) Console.WriteLine($"{refused} positions refused");
        await pipeline.StopAsync();

        double exitsPerSecond;
        lock (gate)
        {
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"ticks sent in {sent.TotalSeconds:F1} s ({exits / sent.TotalSeconds:N0}/s); exits received {received:N0}/{exits:N0}{(unknown > 0 ? $" (+{unknown} unknown ids)" : "")} in {wall.Elapsed.TotalSeconds:F1} s{(done ? "" : " (TIMED OUT)")}"));
            Console.WriteLine(string.Create(inv, $"sent first (before the journal commit): {outbox.PublishedFirst:N0}; went journal-first: {outbox.FellBackToJournalFirst:N0}; journal transactions with exits: {journal.Exits.ExitCommits:N0}; ack-mark transactions: {outbox.MarkRounds:N0}; unacked at the end: {outbox.Backlog}"));
            Console.WriteLine(Line("tick ingress -> exit received", total));
            if (bare.TotalCount > 0)
            {
                Console.WriteLine(Line("bare publish -> receive (same clients, same server, same pace)", bare));
                Console.WriteLine(string.Create(inv, $"ratio tick->exit / bare: p50 {Ratio(total, bare, 50)}, p99 {Ratio(total, bare, 99)}, p99.9 {Ratio(total, bare, 99.9)}"));
            }
            Console.WriteLine(Line("  hop: ingress -> decision on the shard", toShard));
            if (toWire.TotalCount > 0)
            {
                Console.WriteLine(Line("  hop: decision -> written to the NATS client", toWire));
                var taken = SharedLatencyHistogram.NewHistogram();
                var work = SharedLatencyHistogram.NewHistogram();
                pipeline.Exits.CopyHandOff(taken, work);
                Console.WriteLine(Line("    of which decision -> taken by the publishing thread (hand-off, wake-up; ~0 from the shard)", taken));
                Console.WriteLine(Line("    of which taken -> written (state JSON, copy, the NATS client's write)", work));
                Console.WriteLine(Line("  hop: written -> received by the subscriber", wireToSub));
            }
            double span = (lastReceived - firstTick) / (double)Stopwatch.Frequency;
            exitsPerSecond = received / span;
            Console.WriteLine(string.Create(inv, $"sustained: {received:N0} exits in {span:F2} s from the first tick in to the last exit received = {exitsPerSecond:N0} exits/s"));
            Console.WriteLine(string.Create(inv, $"CPU: streamer process {cpu:F2} cores, nats-server {serverCpu:F2} cores (of {Environment.ProcessorCount}); shard stalls {status.ShardStalls}, exit stalls {status.ExitStalls}"));
            Console.WriteLine(string.Create(inv, $"memory: {exitThreadPerExit:N0} B allocated per exit on the publishing thread (the publish path: journal record, state JSON, NATS client), {allocatedPerExit:N0} B by the whole process (positions joining at the first tick, engine, outbox, journal, NATS clients, this harness's subscriber); GCs gen0/1/2 {gcs}; {(GCSettings.IsServerGC ? "server" : "workstation")} GC"));
        }
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return done ? new Figures(name, total, bare, cpu, serverCpu, exitsPerSecond) : null;
    }

    private static async Task WarmUpAsync(NatsBus bus, string dir, Settings settings)
    {
        const int Underlyings = 100, PerUnderlying = 30;
        using var journal = JournalDatabase.Open(Path.Combine(dir, "warm-up.db"));
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), new ExitOutboxOptions { Capacity = Underlyings * PerUnderlying + 1, Durability = settings.Durability });
        outbox.Start();
        var symbols = new SymbolTable();
        await using var pipeline = new TickPipeline(
            new PipelineOptions { Shards = 2, Clock = ClockMode.Virtual, SnapshotInterval = TimeSpan.Zero, UnmonitoredAfter = TimeSpan.FromHours(1), PublishOnShard = settings.PublishFrom == "shard" },
            symbols, BookSet.Parse(Book, "warm-up-books"), new OutboxExitTarget(outbox, journal.Positions));
        pipeline.Start();
        var tickers = Enumerable.Range(0, Underlyings).Select(u => "W" + Ticker(u)).ToArray();
        foreach (var t in tickers)
            for (int j = 0; j < PerUnderlying; j++)
                _ = pipeline.AddPositionAsync(new PositionSpec
                {
                    Id = $"{t}-{j}", Book = "target_only", Legs = [new LegSpec(t, 100, 100)], OpenedAtNs = SessionStartNs - NanoTime.PerSecond * 60,
                    UnderlyingEntry = 100, StopUnderlying = 50, TargetUnderlying = 100 + 0.01 * (j + 1) - 0.005,
                });
        for (int i = 0; i < 300 && settings.Durability == ExitDurability.PublishFirst && !outbox.LaneOpen; i++) await Task.Delay(10);
        await pipeline.RunSourceAsync(new PacedSource(tickers.Select(symbols.Intern).ToArray(), PerUnderlying, 0, new long[Underlyings * PerUnderlying]));
        for (int i = 0; i < 3000 && outbox.Published < Underlyings * PerUnderlying; i++) await Task.Delay(10);
        await pipeline.StopAsync();
        Console.WriteLine($"warm-up: {outbox.Published:N0} exits acked");
    }

    /// <summary>core publish -> core subscriber on the same two clients, paced like the ticks, payloads of an exit's size.</summary>
    private static async Task<LongConcurrentHistogram> BareAsync(NatsBus publisher, NatsBus subscriber, int count, int rate)
    {
        var histogram = NewHistogram();
        int got = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sub = subscriber.Subscribe("bench.bare", m =>
        {
            long now = Stopwatch.GetTimestamp();
            long sent = BitConverter.ToInt64(m.Data, 0);
            Record(histogram, Ns(now - sent));
            if (Interlocked.Increment(ref got) == count) all.TrySetResult();
        });
        await Task.Delay(200); // the subscription is on the server
        await Task.Factory.StartNew(() =>
        {
            var payload = new byte[600];
            long start = Stopwatch.GetTimestamp();
            for (int n = 0; n < count; n++)
            {
                long due = start + (long)(n * (double)Stopwatch.Frequency / rate);
                while (Stopwatch.GetTimestamp() < due) Thread.Sleep(1); // paced as the ticks are
                var copy = (byte[])payload.Clone();
                BitConverter.TryWriteBytes(copy, Stopwatch.GetTimestamp());
                publisher.TryPublish("bench.bare", copy);
            }
        }, TaskCreationOptions.LongRunning);
        await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        return histogram;
    }

    private static LongConcurrentHistogram NewHistogram() => new(1, SharedLatencyHistogram.HighestNs, 3);

    private static void Record(LongConcurrentHistogram h, long ns) => h.RecordValue(Math.Clamp(ns, 1, SharedLatencyHistogram.HighestNs));

    private static long Ns(long stopwatchTicks) => (long)(stopwatchTicks * (1e9 / Stopwatch.Frequency));

    private static string Ratio(HistogramBase a, HistogramBase b, double q) => (P(a, q) / (double)Math.Max(1, P(b, q))).ToString("F2", CultureInfo.InvariantCulture);

    private static string Line(string what, HistogramBase h) =>
        string.Create(CultureInfo.InvariantCulture, $"{what}: p50 {Us(P(h, 50))} us, p99 {Us(P(h, 99))} us, p99.9 {Us(P(h, 99.9))} us, max {Us(h.GetMaxValue())} us ({h.TotalCount:N0})");

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
                    // sleep, never spin: the process's CPU figure is the engine's, not the pacer's (a tick is up to ~1 ms late, then the ones due go at once)
                    while (Stopwatch.GetTimestamp() < due) Thread.Sleep(1);
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
    internal sealed class NatsServer : IDisposable
    {
        private readonly Process _process;

        private NatsServer(Process process, int port)
        {
            _process = process;
            Url = $"nats://127.0.0.1:{port}";
        }

        public string Url { get; }

        /// <summary>the server process's CPU time so far.</summary>
        public TimeSpan Cpu
        {
            get
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
        }

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
