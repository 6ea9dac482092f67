using System.Collections.Concurrent;
using System.Text;
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

    [Fact]
    public async Task A_follower_that_was_down_resumes_after_the_last_exit_it_acked()
    {
        // an exit pushed while the follower was going away is unacked: it comes again after ack_wait
        var ackWait = TimeSpan.FromSeconds(2);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(NatsSubjects.ExitStreamSpec);
        for (int i = 1; i <= 5; i++) await js.PublishAsync("streamer.exits.SPY", Exit($"P:{i}"), Ack);

        var got = new BlockingCollection<string>();
        using (await JetStreamFollower.StartAsync(js, NatsSubjects.ExitStream, "executor", null, m => got.Add(ExitIdDeduplicator.ReadId(m.Data)), ackWait))
        {
            Assert.Equal(["P:1", "P:2", "P:3", "P:4", "P:5"], Take(got, 5));
            await js.PublishAsync("streamer.exits.SPY", Exit("P:6"), Ack); // live
            Assert.Equal(["P:6"], Take(got, 1));
            Assert.True(bus.Flush(Ack)); // the acks reach the server
        }

        // down: exits keep coming, and the server restarts too
        for (int i = 7; i <= 9; i++) await js.PublishAsync("streamer.exits.SPY", Exit($"P:{i}"), Ack);
        server.Stop();
        server.Start();
        Assert.True(await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)));
        await Waits.UntilAsync(() => bus.IsConnected, "reconnected");

        using var again = await TestBus.ConnectedAsync(server.Url);
        var resumed = new BlockingCollection<string>();
        using var follower = await JetStreamFollower.StartAsync(new JetStreamClient(again), NatsSubjects.ExitStream, "executor", null, m => resumed.Add(ExitIdDeduplicator.ReadId(m.Data)), ackWait);
        Assert.Equal(["P:7", "P:8", "P:9"], Take(resumed, 3));
    }

    [Fact]
    public async Task A_message_whose_handler_throws_is_delivered_again_and_nothing_overtakes_it()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(NatsSubjects.ExitStreamSpec);
        for (int i = 1; i <= 3; i++) await js.PublishAsync("streamer.exits.SPY", Exit($"P:{i}"), Ack);

        var got = new BlockingCollection<string>();
        var failedOnce = 0;
        using var follower = await JetStreamFollower.StartAsync(js, NatsSubjects.ExitStream, "flaky", null, m =>
        {
            var id = ExitIdDeduplicator.ReadId(m.Data);
            if (id == "P:2" && Interlocked.Exchange(ref failedOnce, 1) == 0) throw new InvalidOperationException("handler failed once");
            got.Add(id);
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
