using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Stream.Host.Hosting;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;

namespace Streamer.PerfTests;

/// <summary>
/// Fill intake on the real service (LiveServiceHost: journal on a SQLite file, registry, pipeline,
/// a real nats-server): <c>fills</c> fills that each open a new position, then as many that resize
/// them, (1) straight into <see cref="ExecutionIntakeService.Accept(FillRecord)"/> and (2) as
/// requests on <c>streamer.executions</c> (64 in flight). Fills/s for each thousand, so a cost
/// that grows with the journal shows as a falling rate (issue 11: opens fell to 5/s at 10,000).
/// </summary>
internal static class IntakeThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        int fills = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var inv = CultureInfo.InvariantCulture;
        var dir = Directory.CreateTempSubdirectory("streamer-intake-").FullName;
        try
        {
            using var server = TickToExitLatency.NatsServer.Start(dir);
            using var host = LiveServiceHost.Create([$"--Nats:Url={server.Url}", $"--Journal:Path={Path.Combine(dir, "j.db")}", "--Dashboard:Enabled=false"], dir, logging: _ => { });
            await host.StartAsync();
            var intake = host.Services.GetRequiredService<ExecutionIntakeService>();
            var live = host.Services.GetRequiredService<LivePipelineService>();
            var journal = host.Services.GetRequiredService<JournalDatabase>();
            long t0 = Streamer.Rules.Time.NanoTime.FromDateTime(new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc));

            Phase("direct (one caller, one commit per fill), opens", i => intake.Accept(Fill($"open-{i}", $"P{i}", 1, t0 + i)));
            await Until(() => live.Pipeline.PositionCount >= fills, "positions opened");
            Phase("direct (one caller, one commit per fill), resizes", i => intake.Accept(Fill($"grow-{i}", $"P{i}", 1, t0 + fills + i)));

            using var client = new NatsBus(new NatsBusOptions { Url = server.Url, Name = "intake-bench" });
            if (!await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20))) throw new InvalidOperationException("no NATS");
            await PhaseOverNatsAsync(client, "NATS, opens", i => Json($"nopen-{i}", $"N{i}", 1, t0 + i));
            await Until(() => live.Pipeline.PositionCount >= 2 * fills, "positions opened over NATS");
            await PhaseOverNatsAsync(client, "NATS, resizes", i => Json($"ngrow-{i}", $"N{i}", 1, t0 + fills + i));
            Console.WriteLine(string.Create(inv, $"journal: {journal.Fills.Fills("P0").Count} fills for P0; {live.Pipeline.PositionCount:N0} positions monitored"));
            await host.StopAsync();
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }

        void Phase(string name, Func<int, FillIntakeResult> one)
        {
            var wall = Stopwatch.StartNew();
            var perThousand = new List<double>();
            var lap = Stopwatch.StartNew();
            for (int i = 0; i < fills; i++)
            {
                var r = one(i);
                if (r.Outcome != FillIntakeOutcome.Recorded) throw new InvalidOperationException($"{name} #{i}: {r.Outcome} {r.Error}");
                if ((i + 1) % 1000 == 0) { perThousand.Add(1000 / lap.Elapsed.TotalSeconds); lap.Restart(); }
            }
            Report(name, wall.Elapsed, perThousand);
        }

        async Task PhaseOverNatsAsync(NatsBus client, string name, Func<int, byte[]> one)
        {
            var wall = Stopwatch.StartNew();
            var perThousand = new List<double>();
            var lap = Stopwatch.StartNew();
            var inFlight = new Queue<Task<BusMessage>>();
            int done = 0;
            for (int i = 0; i < fills; i++)
            {
                inFlight.Enqueue(client.RequestAsync(NatsSubjects.Executions, one(i), TimeSpan.FromSeconds(30)));
                while (inFlight.Count >= 64 || (i == fills - 1 && inFlight.Count > 0))
                {
                    var reply = await inFlight.Dequeue();
                    if (!reply.Data.AsSpan().StartsWith("{\"ok\":true"u8)) throw new InvalidOperationException($"{name}: {Encoding.UTF8.GetString(reply.Data)}");
                    if (++done % 1000 == 0) { perThousand.Add(1000 / lap.Elapsed.TotalSeconds); lap.Restart(); }
                }
            }
            Report(name, wall.Elapsed, perThousand);
        }

        void Report(string name, TimeSpan elapsed, List<double> perThousand)
        {
            Console.WriteLine(string.Create(inv,
                $"{name}: {fills:N0} fills in {elapsed.TotalSeconds:F2} s = {fills / elapsed.TotalSeconds:N0} fills/s; per thousand: first {perThousand[0]:N0}/s, last {perThousand[^1]:N0}/s, slowest {perThousand.Min():N0}/s"));
        }
    }

    private static FillRecord Fill(string id, string position, double qty, long timeNs) => new(id, position, "AAA", qty, 100, timeNs);

    private static byte[] Json(string id, string position, double qty, long timeNs) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"id":"{{id}}","position_id":"{{position}}","symbol":"AAA","qty":{{qty}},"price":100,"time":"{{Streamer.Rules.Time.NanoTime.FormatRfc3339(timeNs)}}"}"""));

    private static async Task Until(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(10);
        }
    }
}
