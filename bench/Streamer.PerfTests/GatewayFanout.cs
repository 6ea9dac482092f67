using System.Diagnostics;
using System.Globalization;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.Gateway;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Service.Gateway;

namespace Streamer.PerfTests;

/// <summary>
/// The feed gateway's fan-out (docs/cluster.md "Feed gateway"): <c>ticks</c> ticks over <c>underlyings</c>
/// underlyings (a stock and two options each) through the gateway's own <see cref="TickPublisher"/> into a
/// real nats-server, one <see cref="TickWire"/> record per message, from one source thread as an Alpaca
/// stream's pump would. Reports the encode alone (ns per tick), the publish rate (ticks/s handed to the
/// client), the bytes the publishing thread allocated per tick, and how many reached a subscriber on
/// <c>streamer.ticks.&gt;</c> in another connection (the rate the server delivered them at).
/// </summary>
internal static class GatewayFanout
{
    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        bool subscriber = !args.Contains("--no-subscriber");
        args = [.. args.Where(a => a != "--no-subscriber")];
        int count = args.Length > 0 ? int.Parse(args[0], inv) : 1_000_000;
        int underlyings = args.Length > 1 ? int.Parse(args[1], inv) : 100;
        var symbols = new SymbolTable();
        var ids = new List<int>();
        for (int u = 0; u < underlyings; u++)
        {
            string root = "U" + u.ToString("D3", inv);
            ids.Add(symbols.Intern(root));
            ids.Add(symbols.Intern($"{root}260220C00100000"));
            ids.Add(symbols.Intern($"{root}260220P00095000"));
        }
        long t0 = Streamer.Rules.Time.NanoTime.FromDateTime(new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc));
        var ticks = new Tick[count];
        for (int i = 0; i < count; i++) ticks[i] = Tick.Quote(t0 + i * 1000L, ids[i % ids.Count], 1.00 + i % 7 * 0.01, 1.05 + i % 7 * 0.01);

        // 1. the record alone
        var buffer = new byte[TickWire.MaxRecordBytes];
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        for (int i = 0; i < count; i++) bytes += TickWire.Write(buffer, in ticks[i], symbols.Utf8(ticks[i].SymbolId));
        sw.Stop();
        Console.WriteLine(string.Create(inv, $"encode: {sw.Elapsed.TotalNanoseconds / count:0.0} ns per tick, {bytes / (double)count:0.0} bytes per record"));

        var dir = Directory.CreateTempSubdirectory("streamer-fanout-").FullName;
        try
        {
            using var server = TickToExitLatency.NatsServer.Start(dir);
            using var publisherBus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "fanout-bench" });
            using var subscriberBus = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "fanout-bench-sub" });
            if (!await publisherBus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)) || !await subscriberBus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)))
                throw new InvalidOperationException("no NATS");
            long received = 0;
            long lastReceivedTs = 0;
            using var sub = !subscriber ? null : subscriberBus.Subscribe(NatsSubjects.TicksPrefix + ">", _ =>
            {
                Interlocked.Increment(ref received);
                Volatile.Write(ref lastReceivedTs, Stopwatch.GetTimestamp());
            });
            var publisher = new TickPublisher(publisherBus, new TickSubjects(symbols));
            // warm-up: every subject cached, the JIT at tier 1
            for (int i = 0; i < Math.Min(count, 50_000); i++) publisher.Publish(in ticks[i]);
            publisherBus.Flush(TimeSpan.FromSeconds(10));
            await Task.Delay(500);
            long warm = Interlocked.Read(ref received);

            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++) publisher.Publish(in ticks[i]);
            long end = Stopwatch.GetTimestamp();
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            publisherBus.Flush(TimeSpan.FromSeconds(30));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            long seen = 0;
            while (subscriber && (seen = Interlocked.Read(ref received) - warm) < count && DateTime.UtcNow < deadline)
            {
                long before = seen;
                await Task.Delay(500);
                if (Interlocked.Read(ref received) - warm == before) break; // nothing more is coming (a slow consumer's drops)
            }
            double publishSeconds = (end - start) / (double)Stopwatch.Frequency;
            double deliverSeconds = (Volatile.Read(ref lastReceivedTs) - start) / (double)Stopwatch.Frequency;
            Console.WriteLine(string.Create(inv, $"publish: {count:N0} ticks on {underlyings} underlyings in {publishSeconds:0.000} s = {count / publishSeconds:N0} ticks/s handed to NATS; {allocated / (double)count:0.00} B allocated per tick on the publishing thread; {publisher.Dropped} dropped, {publisher.WritesPending:N0} writes finished off-thread"));
            if (subscriber) Console.WriteLine(string.Create(inv, $"delivered: {seen:N0} of {count:N0} to one subscriber on streamer.ticks.> in {deliverSeconds:0.000} s = {seen / deliverSeconds:N0} ticks/s"));

            // paced, at a live feed's rate (20,000 ticks/s, in 1 ms bursts of 20): the client's writer keeps up, so each
            // publish completes on the calling thread and the buffer is reused at once
            long pendingBefore = publisher.WritesPending;
            int paced = Math.Min(count, 100_000);
            allocated = GC.GetAllocatedBytesForCurrentThread();
            long pacedStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < paced; i++)
            {
                if (i % 20 == 0)
                    while (Stopwatch.GetTimestamp() - pacedStart < (long)(i / 20_000.0 * Stopwatch.Frequency)) Thread.SpinWait(20);
                publisher.Publish(in ticks[i]);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Console.WriteLine(string.Create(inv, $"paced at 20,000 ticks/s: {paced:N0} ticks, {allocated / (double)paced:0.00} B allocated per tick, {publisher.WritesPending - pendingBefore:N0} writes finished off-thread"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
