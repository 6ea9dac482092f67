using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// Issue 11, item 1: one unpublishable exit never holds up the others. On a server that accepts 8 KiB,
/// a 200-leg position's exit can never be sent; it is parked and alerted, the other positions' exits
/// go out at once (before this, every later exit waited behind it, across restarts), and once the
/// server accepts it (restarted with a larger max_payload) it goes out, with its position's order kept.
/// </summary>
public sealed class ExitParkingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("publish-first")]
    [InlineData("journal-first")]
    public async Task An_exit_the_stream_refuses_is_parked_and_the_other_positions_exits_go_on(string durability)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("server.conf"), "max_payload: 8192\njetstream { store_dir: \"js\" }\n");
        using var server = new NatsServerFixture(dir.File("server.conf"), null);
        using var client = await TestBus.ConnectedAsync(server.Url);
        var exits = new BlockingCollection<string>();
        using var exitSub = client.Subscribe(NatsSubjects.ExitsWildcard, m => exits.Add(ExitId.Read(m.Data)));
        var alerts = new ConcurrentQueue<JsonElement>();
        using var alertSub = client.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        // BIG-1 first in the file: its exit is decided first, the head every other one would queue behind
        var strikes = Enumerable.Range(0, 200).Select(i => $"TST260320C{(50 + i) * 1000:D8}").ToList();
        var big = $$"""{ "id": "BIG-1", "book": "stop_only", "underlying_entry": 100, "stop_underlying": 99, "legs": [ {{string.Join(", ", strikes.Select(s => $$"""{ "symbol": "{{s}}", "qty": 1, "entry_price": 1 }"""))}} ] }""";
        static string Small(string id, double stop) => $$"""{ "id": "{{id}}", "book": "stop_only", "underlying_entry": 100, "stop_underlying": {{stop.ToString(CultureInfo.InvariantCulture)}}, "legs": [ { "symbol": "TST", "qty": 100, "entry_price": 100 } ] }""";
        File.WriteAllText(dir.File("positions.json"), $$"""{ "positions": [ {{big}}, {{Small("SML-1", 99)}}, {{Small("SML-2", 98)}} ] }""");
        var host = LiveHost.Create(server, dir, dir.File("j.db"), $"--Positions:File={dir.File("positions.json")}", $"--Exits:Durability={durability}", "--Outbox:ParkedRetrySeconds=0.5");
        await host.StartAsync();
        try
        {
            var pipeline = host.Services.GetRequiredService<LivePipelineService>().Pipeline;
            var outbox = host.Services.GetRequiredService<ExitOutbox>();
            long t = NanoTime.FromDateTime(new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc));
            foreach (var s in strikes)
                pipeline.Ingress.Publish(new Tick { TimeNs = t, SymbolId = pipeline.Symbols.Intern(s), Fields = TickFields.Quote, Bid = 1.0, Ask = 1.1 });
            Tst(host, t + 1_000_000, 98.55); // under 99: BIG-1 and SML-1

            // SML-1 goes out although BIG-1's exit, decided before it, cannot
            Assert.True(exits.TryTake(out var first, Wait), "SML-1's exit reaches NATS");
            Assert.Equal("SML-1:1", first);
            await Waits.UntilAsync(() => outbox.IsParked("BIG-1"), "BIG-1 parked", Wait);
            await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "exit_parked"), "an exit_parked alert", Wait);
            var parked = alerts.First(a => a.GetProperty("kind").GetString() == "exit_parked");
            Assert.Equal("BIG-1:1", parked.GetProperty("exit_id").GetString());
            Assert.Contains("max_payload", parked.GetProperty("message").GetString(), StringComparison.Ordinal);
            var status = JsonDocument.Parse((await client.RequestAsync("streamer.control.status", "{}"u8.ToArray(), Wait)).Data).RootElement;
            Assert.Equal(1, status.GetProperty("positions_parked").GetInt32());

            // later exits of other positions are not held either
            Tst(host, t + 2_000_000, 97.50); // under 98: SML-2
            Assert.True(exits.TryTake(out var second, Wait), "SML-2's exit reaches NATS while BIG-1 is parked");
            Assert.Equal("SML-2:1", second);
            Assert.DoesNotContain("Maximum Payload", server.Log, StringComparison.Ordinal); // never sent over the limit
            Assert.Equal(1, host.Services.GetRequiredService<IMessageBus>().Connections);

            // the server is given room: the parked exit goes out on its retry, and the position unparks
            File.WriteAllText(dir.File("server.conf"), "max_payload: 1048576\njetstream { store_dir: \"js\" }\n");
            server.Stop();
            server.Start();
            Assert.True(exits.TryTake(out var late, Wait), "BIG-1's exit reaches NATS once the server accepts it");
            Assert.Equal("BIG-1:1", late);
            await Waits.UntilAsync(() => !outbox.IsParked("BIG-1") && outbox.Backlog == 0, "unparked, nothing owed", Wait);
            await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "exit_unparked"), "an exit_unparked alert", Wait);
            var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(client));
            Assert.Equal(["SML-1:1", "SML-2:1", "BIG-1:1"], onStream.Select(m => ExitId.Read(m.Data)));
            Assert.NotNull(host.Services.GetRequiredService<JournalDatabase>().Exits.FindExit("BIG-1:1")?.StreamSequence);
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    private static void Tst(IHost host, long timeNs, double price) => LiveHost.Trade(host, "TST", price, timeNs);
}
