using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Outbox;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>The pipeline as <c>streamer run</c> composes it: settings, journal, outbox, registry, alerts, a real nats-server.</summary>
[Collection(PipelineCollection.Name)]
public sealed class HostedServiceTests
{
    [Fact]
    public async Task A_tape_run_publishes_the_replays_exits_and_a_restart_on_the_same_journal_fires_none_again()
    {
        var expected = Demo.ReplayExits();
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        var settings = new StreamerSettings
        {
            NatsUrl = server.Url,
            FeedTape = Path.GetFullPath(Demo.File("ticks.csv")),
            FeedSpeed = 0,
            PositionsFile = Path.GetFullPath(Demo.File("positions.json")),
            JournalPath = dir.File("journal.db"),
        };

        var (first, decidedFirst) = await RunOnceAsync(settings);
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), first.Order(StringComparer.Ordinal));
        Assert.Equal(expected.Count, decidedFirst);

        // the same journal again: every position's state (tranches fired, closed) is restored before the tape, nothing fires twice
        var (second, decidedSecond) = await RunOnceAsync(settings);
        Assert.Empty(second);
        Assert.Equal(0, decidedSecond); // not even decided (and deduplicated): the engines knew

        using var bus = await TestBus.ConnectedAsync(server.Url);
        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        Assert.Equal(expected.Count, onStream.Count);
        var byId = onStream.ToDictionary(m => System.Text.Json.JsonDocument.Parse(m.Data).RootElement.GetProperty("id").GetString()!, m => m);
        foreach (var e in expected)
        {
            // latency_ns is measured live; everything else is the replay's
            var live = System.Text.Json.Nodes.JsonNode.Parse(byId[e.Id].Data)!.AsObject();
            Assert.True(live["latency_ns"]!.GetValue<long>() > 0);
            live["latency_ns"] = 0;
            Assert.Equal(Encoding.UTF8.GetString(e.Json), live.ToJsonString());
        }
    }

    /// <summary>One service lifetime over the tape; returns the exit ids this run journaled.</summary>
    private static async Task<(List<string> Ids, long Decided)> RunOnceAsync(StreamerSettings settings)
    {
        var time = TimeProvider.System;
        using var journal = SqliteJournal.Open(settings.JournalPath);
        int before = journal.ListExits().Count;
        long decided;
        using var bus = await TestBus.ConnectedAsync(settings.NatsUrl);
        var outbox = new ExitOutbox(journal, new JetStreamClient(bus));
        outbox.Start();
        var alerts = new AlertPublisher(bus, time, NullLogger<AlertPublisher>.Instance);
        var status = new ServiceStatus(time);
        var registry = new JournalPositionRegistry(journal, time);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Pipeline:Shards"] = "2" }).Build();
        await using (var service = new PipelineHostedService(configuration, settings, outbox, bus, journal, registry, alerts, status, NullLogger<PipelineHostedService>.Instance))
        {
            await service.StartAsync(CancellationToken.None);
            await service.Pipeline!.SourcesCompletion();
            await service.StopAsync(CancellationToken.None);
            Assert.Equal(3, status.PositionsMonitored);
            Assert.Equal(service.Pipeline.Ingress.Ticks, status.Ticks);
            decided = service.Pipeline.Status().ExitsDecided;
        }
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the outbox drains");
        await outbox.DisposeAsync();
        return (journal.ListExits().Skip(before).Select(e => e.Id).ToList(), decided);
    }
}
