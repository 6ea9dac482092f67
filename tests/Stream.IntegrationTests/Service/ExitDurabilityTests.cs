using System.Collections.Concurrent;
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
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Journal;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// Exits:Durability on the real host (real nats-server, real SQLite file): publish-first puts the
/// exit on the wire while its journal commit cannot happen; journal-first holds it until the commit;
/// and an exit that reached the stream but not the journal (a crash between the two) is adopted by
/// the next start before any evaluation, so it is never decided again.
/// </summary>
public sealed class ExitDurabilityTests
{
    private const string Position = """{ "id": "TST-1", "book": "stop_only", "underlying_entry": 100, "stop_underlying": 99, "legs": [ { "symbol": "TST", "qty": 100, "entry_price": 100 } ] }""";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("publish-first")]
    [InlineData("journal-first")]
    public async Task Publish_first_is_on_the_wire_while_the_journal_cannot_commit_and_journal_first_waits_for_the_commit(string durability)
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var client = await TestBus.ConnectedAsync(server.Url);
        var exits = new BlockingCollection<BusMessage>();
        using var sub = client.Subscribe(NatsSubjects.ExitsWildcard, exits.Add);
        var host = await StartHostAsync(server, dir, dir.File("j.db"), durability, client);
        try
        {
            var journal = host.Services.GetRequiredService<JournalDatabase>();
            var outbox = host.Services.GetRequiredService<ExitOutbox>();
            if (durability == "publish-first") await Waits.UntilAsync(() => outbox.LaneOpen, "the publish-first lane opens (stream ensured, nothing owed)", Wait);

            BusMessage exit;
            using (new GateHold(journal))
            {
                // the journal is locked: no commit can happen while the stop is crossed
                Cross(host);
                if (durability == "publish-first")
                {
                    Assert.True(exits.TryTake(out exit!, Wait), "the exit reaches NATS before its journal commit");
                }
                else
                {
                    Assert.False(exits.TryTake(out _, TimeSpan.FromSeconds(1.5)), "journal-first: nothing on the wire before the commit");
                    exit = null!;
                }
            }
            if (durability == "journal-first") Assert.True(exits.TryTake(out exit!, Wait), "journal-first: the exit follows its commit");
            Assert.Equal("TST-1:1", ExitId.Read(exit.Data));
            // then the journal has it, acked with its stream sequence, once
            await Waits.UntilAsync(() => journal.Exits.FindExit("TST-1:1")?.StreamSequence is not null, "the exit journaled and marked published", Wait);
            Assert.Equal(durability == "publish-first" ? 1 : 0, outbox.PublishedFirst);
            var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(client));
            Assert.Equal(["TST-1:1"], onStream.Select(m => ExitId.Read(m.Data)));
            // publish-first carries the position's state after the exit, for a restart that finds it only on the stream
            Assert.Equal(durability == "publish-first", onStream[0].Header(ExitStream.StateHeader) is not null);
            // and says so in its status
            var status = JsonDocument.Parse((await client.RequestAsync("streamer.control.status", "{}"u8.ToArray(), Wait)).Data).RootElement;
            Assert.Equal(durability, status.GetProperty("exit_durability").GetString());
            Assert.Equal(durability == "publish-first" ? 1 : 0, status.GetProperty("exits_sent_first").GetInt64());
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
        // a clean stop: the next start need not read the stream
        using var after = JournalDatabase.Open(dir.File("j.db"));
        Assert.False(after.Exits.MayHaveStreamOnlyExits);
    }

    [Fact]
    public async Task An_exit_on_the_stream_but_not_in_the_journal_is_adopted_at_start_and_never_decided_again()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var client = await TestBus.ConnectedAsync(server.Url);
        var exits = new BlockingCollection<BusMessage>();
        using var sub = client.Subscribe(NatsSubjects.ExitsWildcard, exits.Add);
        var crashed = dir.File("crashed.db");

        // run 1: the exit goes out first; while its commit is held back, the journal files are copied: what kill -9 leaves
        var first = await StartHostAsync(server, dir, dir.File("j.db"), "publish-first", client);
        try
        {
            var journal = first.Services.GetRequiredService<JournalDatabase>();
            await Waits.UntilAsync(() => first.Services.GetRequiredService<ExitOutbox>().LaneOpen, "the publish-first lane opens", Wait);
            using (new GateHold(journal))
            {
                Cross(first);
                Assert.True(exits.TryTake(out var exit, Wait), "the exit reaches NATS");
                Assert.Equal("TST-1:1", ExitId.Read(exit.Data));
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                    if (File.Exists(dir.File("j.db") + suffix)) File.Copy(dir.File("j.db") + suffix, crashed + suffix);
            }
        }
        finally
        {
            await first.StopAsync();
            first.Dispose();
        }
        using (var copy = JournalDatabase.Open(crashed))
        {
            Assert.Null(copy.Exits.FindExit("TST-1:1"));                 // the crash window: on the stream, not in the journal
            Assert.Equal(PositionStatus.Open, copy.Positions.StatusOf("TST-1"));
            Assert.True(copy.Exits.MayHaveStreamOnlyExits);
        }

        // run 2 on the crashed journal: the exit is adopted before anything is evaluated
        var second = await StartHostAsync(server, dir, crashed, "publish-first", client, addPosition: false);
        try
        {
            var journal = second.Services.GetRequiredService<JournalDatabase>();
            var adopted = journal.Exits.FindExit("TST-1:1");
            Assert.NotNull(adopted);
            Assert.Equal(1UL, adopted.StreamSequence);
            Assert.Equal(PositionStatus.Closed, journal.Positions.StatusOf("TST-1"));
            Assert.True(journal.Positions.TryLoadPositionState("TST-1", out var state));
            Assert.Equal(0, PositionStateJson.Parse(state, "TST-1").ContractsRemaining);
            var live = second.Services.GetRequiredService<LivePipelineService>();
            Assert.Equal(0, live.Pipeline.PositionCount); // closed by the adopted exit: not monitored again

            // the same crossing again decides nothing: no second exit, under no id
            Cross(second);
            await live.Pipeline.FlushAsync();
            Assert.False(exits.TryTake(out var again, TimeSpan.FromSeconds(1.5)), again is null ? "" : Encoding.UTF8.GetString(again.Data));
            var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(client));
            Assert.Equal(["TST-1:1"], onStream.Select(m => ExitId.Read(m.Data)));
        }
        finally
        {
            await second.StopAsync();
            second.Dispose();
        }
        using var after = JournalDatabase.Open(crashed);
        Assert.False(after.Exits.MayHaveStreamOnlyExits);
        Assert.Single(after.Exits.ListExits("TST-1"));
    }

    private static async Task<IHost> StartHostAsync(NatsServerFixture server, TempDirectory dir, string journal, string durability, NatsBus client, bool addPosition = true)
    {
        var host = await LiveHost.StartAsync(server, dir, journal, $"--Exits:Durability={durability}");
        await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
        if (addPosition)
        {
            var reply = await client.RequestAsync("streamer.control.add", Encoding.UTF8.GetBytes(Position), Wait);
            var added = JsonDocument.Parse(reply.Data).RootElement;
            Assert.True(added.GetProperty("ok").GetBoolean(), added.ToString());
        }
        return host;
    }

    /// <summary>a TST quote and trade under the stop, inside a regular session.</summary>
    private static void Cross(IHost host) => LiveHost.Trade(host, "TST", 98.55);

    /// <summary>holds the journal's one lock on a thread of its own until disposed: no commit (and no read) can happen meanwhile.</summary>
    private sealed class GateHold : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;

        public GateHold(JournalDatabase journal)
        {
            using var held = new ManualResetEventSlim();
            _thread = new Thread(() =>
            {
                lock (journal.Gate)
                {
                    held.Set();
                    _release.Wait();
                }
            }) { IsBackground = true };
            _thread.Start();
            held.Wait();
        }

        public void Dispose()
        {
            _release.Set();
            _thread.Join();
            _release.Dispose();
        }
    }
}
