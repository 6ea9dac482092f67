using System.Text.Json;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// The real <c>streamer run</c> on a three-node NATS cluster (routes on loopback, JetStream on each, the exit
/// stream at three replicas): the node leading the exit stream is killed with SIGKILL a quarter of the way
/// through the exits. The client moves to a surviving node, the stream elects a new leader, and the run
/// still puts every exit of an uninterrupted replay on the stream exactly once, in the order it decided them.
/// </summary>
public sealed class NatsNodeKillTests
{
    [Fact]
    public async Task Killing_the_exit_streams_leader_node_mid_tape_loses_no_exit_and_doubles_none()
    {
        using var dir = new TempDirectory();
        var ramp = RampSession.Write(dir.Path);
        var expected = ramp.ReplayExits();
        Assert.Equal(ramp.ExpectedExits, expected.Count);
        using var cluster = new NatsClusterFixture();
        using var bus = await TestBus.ConnectedAsync(cluster.Urls);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);

        // 6 s of tape: the kill lands while exits are still being decided
        using var run = StreamerProcess.Start(dir.Path, "run", $"--Nats:Url={cluster.Urls}", "--Nats:ExitStreamReplicas=3", $"--Journal:Path={dir.File("j.db")}",
            "--Heartbeat:IntervalSeconds=0.5", $"--Feed:Tape={ramp.Tape}", $"--Positions:File={ramp.PositionsFile}", $"--Books:File={ramp.BooksFile}",
            "--Feed:Speed=10", "--Feed:ExitWhenDone=true");
        await run.UntilAsync(() => exits.Count >= expected.Count / 4, "a quarter of the exits on NATS", () => cluster.Logs, TimeSpan.FromSeconds(60));

        var leader = await StreamLeaderAsync(bus, NatsSubjects.ExitStream);
        var killed = cluster.Node(leader);
        int before = exits.Count;
        killed.Stop();

        int code = await run.WaitForExitAsync(TimeSpan.FromSeconds(120));
        string context = $"killed {leader} (the exit stream's leader) after {before} of {expected.Count} exits";
        Assert.True(code == 0, $"{context}; the run exited {code}:\n{run.Output}");
        Assert.True(before < expected.Count, $"{context}: the kill came after the last exit, so it proves nothing");

        // read back through a node that survived
        var survivor = cluster.Nodes.First(n => n != killed);
        using var reader = await TestBus.ConnectedAsync(survivor.Url);
        var onStream = await ReadExitsAsync(new JetStreamClient(reader));
        var ids = onStream.Select(m => ExitId.Read(m.Data)).ToList();
        Assert.True(ids.Count == ids.Distinct(StringComparer.Ordinal).Count(), $"{context}: an id is on the stream twice: {string.Join(", ", ids)}");
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        // the order of decision holds per underlying (each symbol's exits leave one shard in the order decided)
        foreach (var underlying in expected.Select(e => e.Underlying).Distinct())
        {
            var want = expected.Where(e => e.Underlying == underlying).Select(e => e.Id).ToList();
            var got = ids.Where(want.Contains).ToList();
            Assert.True(want.SequenceEqual(got), $"{context}: {underlying}'s exits left out of order: {string.Join(", ", got)}");
        }
        var payloads = onStream.ToDictionary(m => ExitId.Read(m.Data), m => RunTestData.WithoutLatency(m.Data), StringComparer.Ordinal);
        foreach (var e in expected)
            Assert.True(RunTestData.WithoutLatency(e.Json) == payloads[e.Id], $"{context}: exit {e.Id} differs from the replay's");
    }

    /// <summary>
    /// the exit stream read from its start; while the cluster re-forms after the kill (a new meta leader) the server
    /// may not answer a consumer's creation yet, so that is retried for a while.
    /// </summary>
    private static async Task<IReadOnlyList<StreamMessage>> ReadExitsAsync(JetStreamClient js)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await JetStreamReader.ReadExitsFromStartAsync(js);
            }
            catch (NATS.Client.JetStream.NatsJSApiNoResponseException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>the server name (n1..n3) leading <paramref name="stream"/>'s replicas, from <c>$JS.API.STREAM.INFO</c>.</summary>
    private static async Task<string> StreamLeaderAsync(IMessageBus bus, string stream)
    {
        var reply = await bus.RequestAsync($"$JS.API.STREAM.INFO.{stream}", ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(5));
        using var info = JsonDocument.Parse(reply.Data);
        if (!info.RootElement.TryGetProperty("cluster", out var c) || !c.TryGetProperty("leader", out var leader))
            throw new InvalidOperationException($"no leader in STREAM.INFO: {info.RootElement}");
        var replicas = info.RootElement.GetProperty("config").GetProperty("num_replicas").GetInt32();
        Assert.Equal(3, replicas);
        return leader.GetString()!;
    }
}
