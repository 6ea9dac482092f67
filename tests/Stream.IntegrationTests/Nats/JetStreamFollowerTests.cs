using System.Collections.Concurrent;
using System.Text;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Nats;

public sealed class JetStreamFollowerTests
{
    private static readonly TimeSpan Ack = TimeSpan.FromSeconds(5);

    private static byte[] Exit(string id) => Encoding.UTF8.GetBytes($$"""{"id":"{{id}}"}""");

    private static List<string> Take(BlockingCollection<string> got, int n)
    {
        var list = new List<string>();
        for (int i = 0; i < n; i++)
        {
            Assert.True(got.TryTake(out var id, TimeSpan.FromSeconds(15)), $"only {list.Count} of {n} delivered: {string.Join(",", list)}");
            list.Add(id);
        }
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_follower_that_was_down_resumes_after_the_last_exit_it_acked(bool serverKilledMeanwhile)
    {
        // an exit pushed while the follower was going away is unacked: it comes again after ack_wait
        var ackWait = TimeSpan.FromSeconds(2);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);
        for (int i = 1; i <= 5; i++) await js.PublishAsync("streamer.exits.SPY", Exit($"P:{i}"), Ack);

        var dedupe = new ExitIdDeduplicator();
        var got = new BlockingCollection<string>();
        using (await JetStreamFollower.StartAsync(js, NatsSubjects.ExitStream, "executor", null, m => got.Add(ExitIdDeduplicator.ReadId(m.Data)), ackWait))
        {
            Assert.Equal(["P:1", "P:2", "P:3", "P:4", "P:5"], Take(got, 5));
            await js.PublishAsync("streamer.exits.SPY", Exit("P:6"), Ack); // live
            Assert.Equal(["P:6"], Take(got, 1));
            Assert.True(bus.Flush(Ack)); // the acks reach the server
        }
        for (int i = 1; i <= 6; i++) dedupe.IsFirst(Exit($"P:{i}"), out _);

        // down: exits keep coming (and maybe the server is killed and restarted too)
        for (int i = 7; i <= 9; i++) await js.PublishAsync("streamer.exits.SPY", Exit($"P:{i}"), Ack);
        if (serverKilledMeanwhile)
        {
            server.Stop();
            server.Start();
        }

        using var again = await TestBus.ConnectedAsync(server.Url);
        var resumed = new BlockingCollection<string>();
        var everything = new ConcurrentQueue<string>();
        using var follower = await JetStreamFollower.StartAsync(new JetStreamClient(again), NatsSubjects.ExitStream, "executor", null, m =>
        {
            everything.Enqueue(ExitIdDeduplicator.ReadId(m.Data));
            if (dedupe.IsFirst(m.Data, out var id)) resumed.Add(id);
        }, ackWait);
        // without a crash the server resumes exactly after P:6; a killed server may have lost its
        // latest ack state and deliver some acked exits again (at-least-once): the id dedupe drops them
        Assert.Equal(["P:7", "P:8", "P:9"], Take(resumed, 3));
        if (!serverKilledMeanwhile) Assert.Equal(["P:7", "P:8", "P:9"], everything.Take(3));
    }

    [Fact]
    public async Task A_message_whose_handler_throws_is_delivered_again_and_nothing_overtakes_it()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);
        for (int i = 1; i <= 3; i++) await js.PublishAsync("streamer.exits.SPY", Exit($"P:{i}"), Ack);

        var got = new BlockingCollection<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var failedOnce = 0;
        using var follower = await JetStreamFollower.StartAsync(js, NatsSubjects.ExitStream, "flaky", null, m =>
        {
            var id = ExitIdDeduplicator.ReadId(m.Data);
            if (id == "P:2" && Interlocked.Exchange(ref failedOnce, 1) == 0) throw new InvalidOperationException("handler failed once");
            // at-least-once: on a loaded machine an ack can miss the 1 s ack wait and P:1 come again; the order of first sightings is the point
            lock (seen) if (seen.Add(id)) got.Add(id);
        }, TimeSpan.FromSeconds(1));

        Assert.Equal(["P:1", "P:2", "P:3"], Take(got, 3));
        Assert.Equal(1, follower.HandlerFailures);
    }

    [Fact]
    public async Task A_durable_name_with_a_dot_is_refused()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        await Assert.ThrowsAsync<ArgumentException>(() => JetStreamFollower.StartAsync(new JetStreamClient(bus), NatsSubjects.ExitStream, "a.b", null, _ => { }, TimeSpan.FromSeconds(1)));
    }
}
