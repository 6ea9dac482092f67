using System.Collections.Concurrent;
using System.Text;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Tests.Infrastructure;
using static Streamer.Stream.Tests.Journal.JournalTestData;

namespace Streamer.Stream.Tests.Journal;

/// <summary>The outbox with many JetStream publishes in flight, against a real nats-server.</summary>
public sealed class PipelinedPublishTests
{
    private static readonly ExitOutboxOptions Fast = new()
    {
        AckTimeout = TimeSpan.FromSeconds(1),
        RetryMinDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(300),
        MaxInFlight = 64,
    };

    private static async Task<List<StreamMessage>> ReadStreamAsync(string url)
    {
        using var bus = await TestBus.ConnectedAsync(url);
        return [.. await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus))];
    }

    private static List<PendingExit> Burst(int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => Exit($"P{i % 7}", 1 + i / 7, i % 2 == 0 ? "SPY" : "META")).ToList();

    [Fact]
    public async Task A_burst_goes_out_with_many_acks_in_flight_in_decision_order_once_each()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = await TestBus.ConnectedAsync(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast);
        var acked = new ConcurrentQueue<(string Id, ulong Seq)>();
        outbox.ExitPublished += (e, ack) => acked.Enqueue((e.Id, ack.Sequence));
        outbox.Start();

        var exits = Burst(0, 599);
        for (int i = 0; i < exits.Count; i += 100) Assert.All(outbox.SubmitBatch(exits.GetRange(i, 100)), r => Assert.Equal(ExitSubmitOutcome.Accepted, r.Outcome));
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the burst is acked");

        var stream = await ReadStreamAsync(server.Url);
        var expected = exits.Select(e => e.Id).ToList();
        Assert.Equal(expected, stream.Select(m => ExitId.Read(m.Data)));     // in order, none twice
        Assert.Equal(expected, acked.Select(a => a.Id));                                  // events in decision order
        Assert.Equal(Enumerable.Range(1, 600).Select(n => (ulong)n), acked.Select(a => a.Seq));
        Assert.All(journal.Exits.ListExits(), e => Assert.NotNull(e.StreamSequence));
        Assert.Equal(600, outbox.Published);
        // acks were marked many per transaction: they were in flight together (one at a time marks one per round)
        Assert.True(outbox.MarkRounds < outbox.Published, $"{outbox.MarkRounds} mark rounds for {outbox.Published} acks");
    }

    [Fact]
    public async Task A_server_killed_mid_burst_and_restarted_leaves_every_exit_on_the_stream_in_decision_order()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = TestBus.Create(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast with { AckTimeout = TimeSpan.FromSeconds(30) });
        int failures = 0;
        outbox.PublishFailed += (_, _, _) => Interlocked.Increment(ref failures);
        outbox.Start();

        var before = Burst(0, 299);
        foreach (var chunk in before.Chunk(50)) outbox.SubmitBatch(chunk);
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the first 300 are acked");

        // mid-burst: a full window of publishes sent and unacked (the server frozen), 836 more queued behind them
        var burst = Burst(300, 1199);
        using (var frozen = server.Freeze())
        {
            foreach (var chunk in burst.Chunk(100)) outbox.SubmitBatch(chunk);
            await Waits.UntilAsync(() => outbox.PublishesInFlight == Fast.MaxInFlight, "a full window in flight");
            server.Stop(); // killed with them unread
        }
        var whileDown = Burst(1200, 1299);
        foreach (var chunk in whileDown.Chunk(10)) outbox.SubmitBatch(chunk);
        await Waits.UntilAsync(() => Volatile.Read(ref failures) >= 1, "publishing fails while the server is down");
        Assert.Equal(1000, outbox.Backlog);
        Assert.Equal(outbox.Backlog, journal.Exits.CountUnpublished());

        server.Start();
        await Waits.UntilAsync(() => outbox.Backlog == 0, "everything is acked after the restart", TimeSpan.FromSeconds(25)); // before any ack timeout

        var stream = await ReadStreamAsync(server.Url);
        // the server drops a resend of an id it stored (Nats-Msg-Id within the duplicate window): each exit is there once
        var firsts = stream.Select(m => ExitId.Read(m.Data)).ToList();
        Assert.Equal(firsts.Count, firsts.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(journal.Exits.ListExits().Select(e => e.Id), firsts);            // decision order, none lost
        Assert.Equal(before.Concat(burst).Concat(whileDown).Select(e => e.Id), firsts);
        Assert.Equal(0, journal.Exits.CountUnpublished());
    }

    [Fact]
    public async Task Exits_unacked_on_a_dead_connection_go_out_again_before_anything_sent_on_the_next()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = await TestBus.ConnectedAsync(server.Url);
        // acks never time out during this test: only noticing the lost connection can free the window
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast with { AckTimeout = TimeSpan.FromSeconds(30) });
        outbox.Start();
        outbox.SubmitBatch(Enumerable.Range(1, 5).Select(i => Exit("A", i)).ToList());
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the first five are acked");

        // the server freezes: ten publishes go into the socket and stay unacked
        IConnectionBoundRequests pinned = bus;
        int connection = pinned.CurrentConnection;
        Assert.True(connection > 0, "the window went out on a pinned connection");
        using (var frozen = server.Freeze())
        {
            outbox.SubmitBatch(Enumerable.Range(6, 10).Select(i => Exit("A", i)).ToList());
            await Waits.UntilAsync(() => outbox.PublishesInFlight == 10, "ten publishes in flight");
            server.Stop(); // killed while frozen: it never read them
        }
        server.Start();
        await Waits.UntilAsync(() => pinned.CurrentConnection > connection, "the bus reconnects (a new pinned connection)");
        // decided after the reconnect: must not reach the stream before A:6..A:15
        outbox.SubmitBatch(Enumerable.Range(16, 5).Select(i => Exit("A", i)).ToList());
        await Waits.UntilAsync(() => outbox.Backlog == 0, "everything is acked", TimeSpan.FromSeconds(20)); // well before any ack timeout

        var stream = await ReadStreamAsync(server.Url);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"A:{i}"), stream.Select(m => ExitId.Read(m.Data)));
    }

    [Fact]
    public async Task A_request_pinned_to_a_connection_that_is_gone_is_not_sent()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var listener = await TestBus.ConnectedAsync(server.Url);
        var received = new ConcurrentQueue<string>();
        using var sub = listener.Subscribe("pinned.test", m => received.Enqueue(Encoding.UTF8.GetString(m.Data)));
        IConnectionBoundRequests pinned = bus;
        await Waits.UntilAsync(() => pinned.CurrentConnection > 0, "a pinned connection opens");
        int before = pinned.CurrentConnection;

        server.Stop();
        server.Start();
        await Waits.UntilAsync(() => pinned.CurrentConnection > before && listener.IsConnected, "both reconnect");
        Assert.True(listener.Flush(TimeSpan.FromSeconds(5))); // its subscription is back on the server

        await Assert.ThrowsAsync<MessageBusUnavailableException>(() => pinned.PublishOnAsync(before, "pinned.test", "stale"u8.ToArray(), null, TimeSpan.FromSeconds(1)));
        // on the live connection the request goes out (nobody replies: a timeout)
        await Assert.ThrowsAsync<TimeoutException>(() => pinned.PublishOnAsync(pinned.CurrentConnection, "pinned.test", "live"u8.ToArray(), null, TimeSpan.FromMilliseconds(300)));
        await Waits.UntilAsync(() => !received.IsEmpty, "the live request arrives");
        Assert.True(bus.Flush(TimeSpan.FromSeconds(5)));
        Assert.True(listener.Flush(TimeSpan.FromSeconds(5)));
        Assert.Equal(["live"], received);
    }

    /// <summary>
    /// More publishes in flight than the pinned connection has ack slots (4,096), answered in reverse
    /// order: the ones whose slot is still held get reply subjects of their own, and every ack reaches
    /// the publish it answers (the responder echoes each payload's number as the sequence).
    /// </summary>
    [Fact]
    public async Task Acks_reach_their_own_publish_when_more_are_in_flight_than_slots_and_they_come_back_reversed()
    {
        const int count = 4_500;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var responder = await TestBus.ConnectedAsync(server.Url);
        var requests = new ConcurrentQueue<(string ReplyTo, ulong Number)>();
        using var sub = responder.Subscribe("pinned.acks", m => requests.Enqueue((m.ReplyTo!, ulong.Parse(Encoding.UTF8.GetString(m.Data), inv))));
        Assert.True(responder.Flush(TimeSpan.FromSeconds(5)));
        IConnectionBoundRequests pinned = bus;
        await Waits.UntilAsync(() => pinned.CurrentConnection > 0, "a pinned connection opens");
        int connection = pinned.CurrentConnection;

        var acks = new Task<PubAck>[count];
        for (int i = 0; i < count; i++)
            acks[i] = pinned.PublishOnAsync(connection, "pinned.acks", Encoding.UTF8.GetBytes(i.ToString(inv)), $"id-{i}", TimeSpan.FromSeconds(60));
        await Waits.UntilAsync(() => requests.Count == count, "every publish reaches the responder", TimeSpan.FromSeconds(60));
        Assert.Equal(count, requests.Select(r => r.ReplyTo).Distinct().Count()); // a reply subject each, though slots are reused

        foreach (var (replyTo, number) in requests.Reverse())
            Assert.True(responder.TryPublish(replyTo, Encoding.UTF8.GetBytes("{\"stream\":\"S\",\"seq\":" + number.ToString(inv) + "}")));
        var results = await Task.WhenAll(acks).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < count; i++) Assert.Equal((ulong)i, results[i].Sequence);
    }
}
