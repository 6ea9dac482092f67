using System.Text;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>The pipeline against the real parts: a SQLite journal, its outbox and a real nats-server with JetStream.</summary>
[Collection(PipelineCollection.Name)]
public sealed class OutboxIntegrationTests
{
    [Fact]
    public async Task The_demo_tapes_exits_reach_the_journal_and_the_jetstream_stream_exactly_as_replay_decides_them()
    {
        var expected = Demo.ReplayExits();
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("journal.db"));
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await using (var outbox = new ExitOutbox(journal.Exits, js))
        {
            outbox.Start();
            var symbols = new SymbolTable();
            await using var pipeline = new TickPipeline(
                new PipelineOptions { Shards = 3, Clock = ClockMode.Virtual, LatencyInPayload = false },
                symbols, BookSet.BuiltIn, new OutboxExitTarget(outbox, journal.Positions));
            pipeline.Start();
            foreach (var p in Demo.Positions()) _ = pipeline.AddPositionAsync(p);
            await pipeline.RunSourceAsync(new TapeTickSource(Demo.File("ticks.csv"), symbols));
            await pipeline.StopAsync();
            await Waits.UntilAsync(() => outbox.Backlog == 0, "the outbox publishes every exit");
        }

        var onStream = await JetStreamReader.ReadExitsFromStartAsync(js);
        // each exit once (ToDictionary throws on a repeated id)
        var published = onStream.ToDictionary(m => ExitId.Read(m.Data), m => (m.Subject, Json: Encoding.UTF8.GetString(m.Data)));

        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), published.Keys.Order(StringComparer.Ordinal));
        foreach (var e in expected)
        {
            Assert.Equal(NatsSubjects.Exits(e.Underlying), published[e.Id].Subject);
            Assert.Equal(Encoding.UTF8.GetString(e.Json), published[e.Id].Json);
        }
        // the journal has each exit with the position's state after it (what a restart restores)
        var journaled = journal.Exits.ListExits();
        Assert.Equal(expected.Count, journaled.Count);
        Assert.True(journal.Positions.TryLoadPositionState("SPY-PCS-1", out var state));
        var restored = PositionStateJson.Parse(state, "SPY-PCS-1");
        Assert.Equal(0, restored.ContractsRemaining);
        Assert.Equal(4, restored.NextSequence);
        Assert.Equal(0b111, restored.TranchesFired);
    }
}
