using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// Issue 11, items 6, 7 and 13: one journal, one service (a second is refused); a journal deleted
/// under a running service is alerted at once; a damaged or lost journal is rebuilt from the exit
/// stream (Journal:RebuildFromStream) so that no exit is ever decided twice; two services on one
/// NATS server act on a control request or a fill once, not twice. Real nats-server, real SQLite.
/// </summary>
public sealed class JournalRecoveryTests
{
    private const string Position = """{ "id": "TST-1", "book": "stop_only", "underlying_entry": 100, "stop_underlying": 99, "legs": [ { "symbol": "TST", "qty": 100, "entry_price": 100 } ] }""";
    private static readonly TimeSpan Wait = LiveHost.Wait;

    [Fact]
    public async Task A_second_service_on_the_same_journal_is_refused_naming_the_first()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        var first = await StartAsync(server, dir, dir.File("j.db"));
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => Create(server, dir, dir.File("j.db")));
            Assert.Contains($"journal {dir.File("j.db")}: in use by another streamer (pid {Environment.ProcessId} on ", e.Message, StringComparison.Ordinal);
            Assert.Contains("one journal, one service", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(first);
        }
        // released with the first: the next start takes it
        var again = await StartAsync(server, dir, dir.File("j.db"));
        await StopAsync(again);
    }

    [Fact]
    public async Task A_journal_deleted_under_a_running_service_is_alerted_at_once()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var client = await TestBus.ConnectedAsync(server.Url);
        var alerts = new ConcurrentQueue<JsonElement>();
        using var sub = client.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));
        var host = await StartAsync(server, dir, dir.File("j.db"));
        try
        {
            await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
            Assert.Equal("ok", (await StatusAsync(client)).GetProperty("journal").GetString());
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(dir.File("j.db") + suffix);
            await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "journal_error"
                && a.GetProperty("message").GetString()!.Contains("was deleted while running", StringComparison.Ordinal)), "a journal_error alert", Wait);
            var status = await StatusAsync(client);
            Assert.Equal("degraded", status.GetProperty("status").GetString());
            Assert.Contains("was deleted while running", status.GetProperty("journal").GetString(), StringComparison.Ordinal);
            Assert.Contains("Journal:RebuildFromStream=true", alerts.First(a => a.GetProperty("kind").GetString() == "journal_error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(host);
        }
    }

    [Theory]
    [InlineData("publish-first")]
    [InlineData("journal-first")]
    public async Task A_lost_journal_rebuilt_from_the_stream_never_decides_a_published_exit_again(string durability)
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var client = await TestBus.ConnectedAsync(server.Url);
        var exits = new BlockingCollection<BusMessage>();
        using var sub = client.Subscribe(NatsSubjects.ExitsWildcard, exits.Add);

        // run 1: TST-1 exits at its stop, and a second position stays open
        var first = await StartAsync(server, dir, dir.File("j.db"), $"--Exits:Durability={durability}");
        try
        {
            await AddAsync(client, Position);
            await AddAsync(client, Position.Replace("TST-1", "TST-2", StringComparison.Ordinal).Replace("\"stop_underlying\": 99", "\"stop_underlying\": 50", StringComparison.Ordinal));
            Cross(first);
            Assert.True(exits.TryTake(out var exit, Wait), "the exit reaches NATS");
            Assert.Equal("TST-1:1", ExitId.Read(exit.Data));
            await Waits.UntilAsync(() => first.Services.GetRequiredService<JournalDatabase>().Exits.FindExit("TST-1:1")?.StreamSequence is not null, "acked", Wait);
        }
        finally
        {
            await StopAsync(first);
        }

        // the journal is lost; the new one is rebuilt from the stream before anything is decided
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(dir.File("j.db") + suffix);
        var second = await StartAsync(server, dir, dir.File("j.db"), $"--Exits:Durability={durability}", "--Journal:RebuildFromStream=true");
        try
        {
            var journal = second.Services.GetRequiredService<JournalDatabase>();
            var adopted = journal.Exits.FindExit("TST-1:1");
            Assert.NotNull(adopted);
            Assert.Equal(1UL, adopted.StreamSequence);
            Assert.Equal(PositionStatus.Closed, journal.Positions.StatusOf("TST-1"));
            Assert.True(journal.Positions.TryLoadPositionState("TST-1", out var state));
            Assert.Equal(0, Streamer.Stream.Pipeline.PositionStateJson.Parse(state, "TST-1").ContractsRemaining);

            // the desk adds its positions again: the one that exited is refused (its id is spent), the other is monitored
            var again = JsonDocument.Parse((await client.RequestAsync("streamer.control.add", Encoding.UTF8.GetBytes(Position), Wait)).Data).RootElement;
            Assert.False(again.GetProperty("ok").GetBoolean());
            Assert.Contains("was closed", again.GetProperty("error").GetString(), StringComparison.Ordinal);
            await AddAsync(client, Position.Replace("TST-1", "TST-2", StringComparison.Ordinal).Replace("\"stop_underlying\": 99", "\"stop_underlying\": 50", StringComparison.Ordinal));

            // the same crossing decides nothing, under no id
            Cross(second);
            await second.Services.GetRequiredService<LivePipelineService>().Pipeline.FlushAsync();
            Assert.False(exits.TryTake(out var twice, TimeSpan.FromSeconds(1.5)), twice is null ? "" : Encoding.UTF8.GetString(twice.Data));
            var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(client));
            Assert.Equal(["TST-1:1"], onStream.Select(m => ExitId.Read(m.Data)));
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task Two_services_on_one_server_act_on_a_control_add_and_on_a_fill_once()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var client = await TestBus.ConnectedAsync(server.Url);
        var a = await StartAsync(server, dir, dir.File("a.db"));
        var b = await StartAsync(server, dir, dir.File("b.db"));
        try
        {
            await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
            for (int i = 0; i < 10; i++)
                await AddAsync(client, Position.Replace("TST-1", $"TST-{i + 10}", StringComparison.Ordinal));
            for (int i = 0; i < 10; i++)
            {
                var reply = await client.RequestAsync(NatsSubjects.Executions, Encoding.UTF8.GetBytes(
                    $$"""{"id":"f-{{i}}","position_id":"F-{{i}}","symbol":"TST","qty":100,"price":100,"time":"2026-02-02T15:00:00Z","book":"stop_only"}"""), Wait);
                Assert.Contains("\"ok\":true", Encoding.UTF8.GetString(reply.Data), StringComparison.Ordinal);
            }
            var ja = a.Services.GetRequiredService<JournalDatabase>();
            var jb = b.Services.GetRequiredService<JournalDatabase>();
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(1, new[] { ja, jb }.Count(j => j.Positions.StatusOf($"TST-{i + 10}") is not null));
                Assert.Equal(1, new[] { ja, jb }.Count(j => j.Fills.Fills($"F-{i}").Count == 1));
            }
        }
        finally
        {
            await StopAsync(a);
            await StopAsync(b);
        }
    }

    private static IHost Create(NatsServerFixture server, TempDirectory dir, string journal, params string[] more) => LiveHost.Create(server, dir, journal, more);

    private static Task<IHost> StartAsync(NatsServerFixture server, TempDirectory dir, string journal, params string[] more) => LiveHost.StartAsync(server, dir, journal, more);

    private static Task StopAsync(IHost host) => LiveHost.StopAsync(host);

    private static async Task AddAsync(NatsBus client, string position)
    {
        await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
        var reply = JsonDocument.Parse((await client.RequestAsync("streamer.control.add", Encoding.UTF8.GetBytes(position), Wait)).Data).RootElement;
        Assert.True(reply.GetProperty("ok").GetBoolean(), reply.ToString());
    }

    private static async Task<JsonElement> StatusAsync(NatsBus client) =>
        JsonDocument.Parse((await client.RequestAsync("streamer.control.status", "{}"u8.ToArray(), Wait)).Data).RootElement.Clone();

    /// <summary>TST under TST-1's stop (99).</summary>
    private static void Cross(IHost host) => LiveHost.Trade(host, "TST", 98.55);
}
