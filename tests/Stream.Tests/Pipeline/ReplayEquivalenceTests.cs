using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// The pipeline at Feed:Speed=0 is the backtest: the same tape gives the same exits as
/// ReplaySession, byte for byte, whatever the number of shards.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReplayEquivalenceTests
{
    [Fact]
    public async Task One_shard_gives_exactly_the_replays_exits_in_the_same_order()
    {
        var expected = Demo.ReplayExits();
        Assert.True(expected.Count >= 3, $"the demo tape should fire several exits, got {expected.Count}");

        var (exits, status) = await Demo.RunPipelineAsync(shards: 1);

        Assert.Equal(expected.Select(e => e.Id), exits.Select(e => e.Id));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].TimeNs, exits[i].DecidedAtNs);
            Assert.Equal(Demo.Text(expected[i].Json), Demo.Text(exits[i].Payload));
            Assert.Equal(NatsSubjects.Exits(expected[i].Underlying), exits[i].Subject);
            Assert.Equal(expected[i].ContractsRemaining == 0, exits[i].ClosesPosition);
        }
        Assert.Equal(status.TicksIn, status.TicksProcessed);
        Assert.Equal(0, status.ShardStalls);
        Assert.Equal("feed_down", status.Monitoring); // the tape ended: no more data, and it says so
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Several_shards_give_the_same_exits_as_one(int shards)
    {
        var (one, _) = await Demo.RunPipelineAsync(shards: 1);
        var (many, status) = await Demo.RunPipelineAsync(shards);

        // shards decide independently: compare by id (each position's own exits keep their order)
        Assert.Equal(
            one.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => (e.Id, e.DecidedAtNs, Demo.Text(e.Payload))),
            many.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => (e.Id, e.DecidedAtNs, Demo.Text(e.Payload))));
        foreach (var group in many.GroupBy(e => e.PositionId))
            Assert.Equal(group.Select(e => e.Sequence).Order(), group.Select(e => e.Sequence));
        Assert.Equal(status.TicksIn, status.TicksProcessed);
    }

    [Fact]
    public async Task A_tiny_shard_channel_stalls_the_tape_but_changes_no_exit()
    {
        var expected = Demo.ReplayExits();
        var (exits, status) = await Demo.RunPipelineAsync(shards: 2, capacity: 1);

        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), exits.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Equal(status.TicksIn, status.TicksProcessed);
    }

    [Fact]
    public async Task Snapshots_taken_between_ticks_change_no_exit()
    {
        var expected = Demo.ReplayExits();
        var symbols = new Streamer.Rules.Instruments.SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new Streamer.Stream.Pipeline.TickPipeline(
            new Streamer.Stream.Pipeline.PipelineOptions { Clock = Streamer.Stream.Pipeline.ClockMode.Virtual, LatencyInPayload = false },
            symbols, Streamer.Rules.Books.BookSet.BuiltIn, target);
        pipeline.Start();
        foreach (var p in Demo.Positions()) _ = pipeline.AddPositionAsync(p);
        using var tape = Streamer.Feed.Tapes.TapeReader.Open(Demo.File("ticks.csv"), symbols);
        int snapshots = 0;
        while (tape.TryRead(out var tick))
        {
            pipeline.Ingress.Publish(in tick);
            // every position's valuation read on the shard thread between this tick and the next
            snapshots += (await pipeline.SnapshotsAsync()).Count;
        }
        pipeline.Ingress.FinishTape();
        await pipeline.StopAsync();

        Assert.True(snapshots > 3000, $"{snapshots} snapshots");
        Assert.Equal(expected.Select(e => (e.Id, Demo.Text(e.Json))), target.Exits.Select(e => (e.Id, Demo.Text(e.Payload))));
    }
}
