using System.Collections.Concurrent;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Tests.Infrastructure;
using static Streamer.Stream.Tests.Journal.JournalTestData;

namespace Streamer.Stream.Tests.Journal;

public sealed class ExitOutboxTests
{
    private static readonly ExitOutboxOptions Fast = new()
    {
        AckTimeout = TimeSpan.FromSeconds(1),
        RetryMinDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(300),
        BatchSize = 8,
    };

    /// <summary>the ids of every exit on the stream, in stream order; and the number of distinct ids (a repeat would make them differ).</summary>
    private static async Task<(List<string> Ids, int Distinct)> ReadExitsAsync(string url)
    {
        using var bus = await TestBus.ConnectedAsync(url);
        var js = new JetStreamClient(bus);
        var all = await JetStreamReader.ReadExitsFromStartAsync(js);
        var ids = all.Select(m => ExitId.Read(m.Data)).ToList();
        return (ids, ids.Distinct(StringComparer.Ordinal).Count());
    }

    private static List<string> Ids(string position, int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => $"{position}:{i}").ToList();

    [Fact]
    public async Task Publishes_journaled_exits_in_decision_order_and_marks_each_with_its_ack()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = await TestBus.ConnectedAsync(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast);
        var acks = new ConcurrentQueue<(string Id, ulong Seq)>();
        outbox.ExitPublished += (e, ack) => acks.Enqueue((e.Id, ack.Sequence));
        outbox.Start();

        var expected = new List<string>();
        for (int i = 1; i <= 12; i++)
        {
            var position = i % 2 == 0 ? "EVEN" : "ODD";
            var exit = Exit(position, journal.Exits.NextExitSequence(position), i % 3 == 0 ? "META" : "SPY");
            Assert.Equal(ExitSubmitOutcome.Accepted, outbox.Submit(exit));
            expected.Add(exit.Id);
        }
        Assert.Equal(ExitSubmitOutcome.AlreadyDecided, outbox.Submit(Exit("ODD", 1)));
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the outbox drains");

        var (ids, total) = await ReadExitsAsync(server.Url);
        Assert.Equal(expected, ids);
        Assert.Equal(12, total); // no outage: no repeats
        Assert.Equal(expected, acks.Select(a => a.Id));
        Assert.Equal(0, journal.Exits.CountUnpublished());
        foreach (var (id, seq) in acks) Assert.Equal(seq, journal.Exits.FindExit(id)!.StreamSequence);
        Assert.Equal(12, outbox.Published);
    }

    [Fact]
    public async Task A_nats_outage_mid_way_loses_no_exit_and_keeps_the_order()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = TestBus.Create(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast);
        var failures = 0;
        outbox.PublishFailed += (_, _, _) => Interlocked.Increment(ref failures);
        outbox.Start();

        for (int i = 1; i <= 10; i++) Assert.Equal(ExitSubmitOutcome.Accepted, outbox.Submit(Exit("P", i)));
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the first ten are acked");

        server.Stop();
        for (int i = 11; i <= 30; i++) Assert.Equal(ExitSubmitOutcome.Accepted, outbox.Submit(Exit("P", i)));
        await Waits.UntilAsync(() => Volatile.Read(ref failures) >= 2, "publishing fails while the server is down");
        Assert.True(outbox.Backlog > 0);
        Assert.Equal(outbox.Backlog, journal.Exits.CountUnpublished()); // the queue is the journal

        server.Start();
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the backlog is delivered after the restart");

        var (ids, _) = await ReadExitsAsync(server.Url);
        Assert.Equal(Ids("P", 1, 30), ids);
    }

    [Fact]
    public async Task Over_capacity_exits_are_still_journaled_and_the_decision_side_is_told()
    {
        using var server = new NatsServerFixture();
        server.Stop();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = TestBus.Create(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast with { Capacity = 3 });
        var told = new ConcurrentQueue<(string Id, bool Refused)>();
        outbox.OverCapacity += (e, refused) => told.Enqueue((e.Id, refused));
        outbox.Start();

        var outcomes = Enumerable.Range(1, 5).Select(i => outbox.Submit(Exit("O", i))).ToList();
        Assert.Equal([ExitSubmitOutcome.Accepted, ExitSubmitOutcome.Accepted, ExitSubmitOutcome.Accepted,
            ExitSubmitOutcome.AcceptedOverCapacity, ExitSubmitOutcome.AcceptedOverCapacity], outcomes);
        Assert.Equal([("O:4", false), ("O:5", false)], told);
        Assert.Equal(5, journal.Exits.CountUnpublished()); // nothing lost: the engine already counted these exits as done

        server.Start();
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the backlog drains once NATS is back");
        Assert.Equal(Ids("O", 1, 5), (await ReadExitsAsync(server.Url)).Ids);
    }

    [Fact]
    public async Task When_the_backlog_is_full_and_refusing_is_asked_for_nothing_is_journaled()
    {
        using var server = new NatsServerFixture();
        server.Stop(); // NATS down from the start
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = TestBus.Create(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast with { Capacity = 5, RefuseWhenFull = true });
        var refused = new ConcurrentQueue<string>();
        outbox.OverCapacity += (e, r) => { if (r) refused.Enqueue(e.Id); };
        outbox.Start();

        var outcomes = Enumerable.Range(1, 7).Select(i => outbox.Submit(Exit("F", i))).ToList();
        Assert.Equal(Enumerable.Repeat(ExitSubmitOutcome.Accepted, 5).Concat(Enumerable.Repeat(ExitSubmitOutcome.Full, 2)), outcomes);
        Assert.Equal(5, journal.Exits.CountUnpublished());
        Assert.Equal(["F:6", "F:7"], refused);
        Assert.Null(journal.Exits.FindExit("F:6"));
        Assert.Equal(6, journal.Exits.NextExitSequence("F")); // the refused exit's sequence is not consumed
        Assert.Equal(ExitSubmitOutcome.AlreadyDecided, outbox.Submit(Exit("F", 3)));

        server.Start();
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the backlog drains once NATS is back");
        Assert.Equal(ExitSubmitOutcome.Accepted, outbox.Submit(Exit("F", 6)));
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the retried decision is published");
        Assert.Equal(Ids("F", 1, 6), (await ReadExitsAsync(server.Url)).Ids);
    }

    [Fact]
    public async Task After_a_crash_every_unpublished_exit_goes_out_again_with_the_same_id()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        var path = dir.File("j.db");

        // run 1: NATS is down, five exits are decided, then the process "dies" (nothing published)
        server.Stop();
        using (var journal = JournalDatabase.Open(path))
        using (var bus = TestBus.Create(server.Url))
        {
            var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast);
            outbox.Start();
            for (int i = 1; i <= 5; i++) outbox.Submit(Exit("C", i));
            await outbox.DisposeAsync();
        }
        server.Start();

        // run 1b: one exit did reach the stream (with its id as Nats-Msg-Id) but its ack was lost before the journal was marked
        using (var bus = await TestBus.ConnectedAsync(server.Url))
        {
            var js = new JetStreamClient(bus);
            await js.EnsureStreamAsync(ExitStream.Spec);
            Assert.False((await js.PublishAsync("streamer.exits.SPY", Payload("C:1"), TimeSpan.FromSeconds(5), "C:1")).Duplicate);
        }

        // run 2: a new process opens the same journal; the outbox republishes all five, in order
        using (var journal = JournalDatabase.Open(path))
        using (var bus = await TestBus.ConnectedAsync(server.Url))
        {
            await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast);
            Assert.Equal(5, outbox.Backlog);
            outbox.Start();
            await Waits.UntilAsync(() => outbox.Backlog == 0, "the restarted outbox drains");
            Assert.Equal(0, journal.Exits.CountUnpublished());
            Assert.Equal(6, journal.Exits.NextExitSequence("C"));
        }

        var (ids, total) = await ReadExitsAsync(server.Url);
        Assert.Equal(Ids("C", 1, 5), ids); // C:1 once: the server dropped the restarted outbox's republish of it
        Assert.Equal(5, total);
    }

    [Fact]
    public async Task Many_threads_submitting_at_once_all_get_published()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = await TestBus.ConnectedAsync(server.Url);
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), Fast);
        outbox.Start();

        var submitters = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 1; i <= 25; i++) Assert.Equal(ExitSubmitOutcome.Accepted, outbox.Submit(Exit($"T{t}", i)));
        })).ToArray();
        await Task.WhenAll(submitters);
        await Waits.UntilAsync(() => outbox.Backlog == 0, "all submitted exits are acked");

        var (ids, _) = await ReadExitsAsync(server.Url);
        Assert.Equal(100, ids.Count);
        // each position's exits stay in its own order; the stream order is the journal's decision order
        for (int t = 0; t < 4; t++) Assert.Equal(Ids($"T{t}", 1, 25), ids.Where(i => i.StartsWith($"T{t}:", StringComparison.Ordinal)));
        Assert.Equal(journal.Exits.ListExits().Select(e => e.Id), ids);
    }
}
