using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Tests.Infrastructure;
using static Streamer.Stream.Tests.Journal.JournalTestData;

namespace Streamer.Stream.Tests.Journal;

/// <summary>Several exit decisions journaled in one transaction (the dispatcher's group commit).</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public void A_batch_is_one_transaction_in_the_given_order_with_every_exits_id_tranches_state_and_closing()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Positions.UpsertPosition("B", """{"id":"B","legs":[]}""", 1);
        journal.Exits.RecordExitDecided(Exit("A", 1)); // an earlier decision: the batch's ids come after it
        long commits = journal.Exits.ExitCommits;

        // interleaved positions, two exits of one position (the second sees the first's tranche), a closing one, a repeat
        var batch = new[]
        {
            Exit("B", 1, tranches: 0b01, state: """{"n":1}"""),
            Exit("A", 2, "META"),
            Exit("B", 2, tranches: 0b11, state: """{"n":2}""", closes: true),
            Exit("A", 1), // journaled before: already decided, the first decision stands
            Exit("C", 1),
        };
        var outcomes = journal.Exits.RecordExitsDecided(batch);

        Assert.Equal(commits + 1, journal.Exits.ExitCommits);
        Assert.Equal([ExitRecordOutcome.Recorded, ExitRecordOutcome.Recorded, ExitRecordOutcome.Recorded, ExitRecordOutcome.AlreadyDecided, ExitRecordOutcome.Recorded],
            outcomes.Select(o => o.Outcome));
        Assert.All(outcomes, o => Assert.Null(o.Conflict));
        var stored = journal.Exits.ListExits();
        Assert.Equal(["A:1", "B:1", "A:2", "B:2", "C:1"], stored.Select(e => e.Id));
        Assert.Equal(["A:1", "B:1", "A:2", "B:2", "C:1"], journal.Exits.ListUnpublished().Select(e => e.Id));
        var a2 = stored.Single(e => e.Id == "A:2");
        Assert.Equal(("A", 2L, "streamer.exits.META"), (a2.PositionId, a2.Sequence, a2.Subject));
        Assert.Equal(Payload("A:2", "META"), a2.Payload);
        Assert.Equal([0, 1], journal.Positions.TranchesFired("B"));
        Assert.True(journal.Positions.TryLoadPositionState("B", out var state));
        Assert.Equal("""{"n":2}""", state); // the later decision's state, written after the earlier one's
        Assert.Empty(journal.Positions.LoadOpenPositions()); // B closed by B:2
        Assert.Equal(3, journal.Exits.NextExitSequence("B"));

        var page = journal.Exits.ListUnpublishedAfter(0, 2);
        Assert.Equal(["A:1", "B:1"], page.Select(p => p.Exit.Id));
        Assert.Equal(["A:2", "B:2", "C:1"], journal.Exits.ListUnpublishedAfter(page[^1].Ord, 10).Select(p => p.Exit.Id));
    }

    [Fact]
    public void A_conflict_inside_a_batch_writes_nothing_of_that_exit_and_keeps_the_others()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Positions.UpsertPosition("T", """{"id":"T","legs":[]}""", 1);
        journal.Exits.RecordExitDecided(Exit("T", 1, tranches: 0b1));
        journal.Exits.RecordExitDecided(Exit("Q", 1));

        var batch = new[]
        {
            Exit("A", 1),
            // another id for Q's taken sequence 1
            Exit("Q", 1) with { Id = "Q:one", Payload = Payload("Q:one") },
            Exit("B", 1),
            // a mask that "unfires" T's tranche 0, with a state and a closing that must not be written either
            Exit("T", 2, tranches: 0b10, state: """{"bad":true}""", closes: true),
            Exit("C", 1),
        };
        var outcomes = journal.Exits.RecordExitsDecided(batch);

        Assert.Null(outcomes[0].Conflict);
        Assert.Contains("'Q:one'", Assert.IsType<JournalConflictException>(outcomes[1].Conflict).Message);
        Assert.Null(outcomes[2].Conflict);
        Assert.Contains("tranche 0", Assert.IsType<JournalConflictException>(outcomes[3].Conflict).Message);
        Assert.Null(outcomes[4].Conflict);
        Assert.Equal(["T:1", "Q:1", "A:1", "B:1", "C:1"], journal.Exits.ListExits().Select(e => e.Id));
        Assert.Equal([0], journal.Positions.TranchesFired("T"));
        Assert.False(journal.Positions.TryLoadPositionState("T", out _));
        Assert.Equal(["T"], journal.Positions.LoadOpenPositions().Select(p => p.Id));

        // the single-exit call still throws, as before
        Assert.Throws<JournalConflictException>(() => journal.Exits.RecordExitDecided(Exit("Q", 1) with { Id = "Q:uno" }));
    }

    [Fact]
    public void Acks_marked_in_one_batch_keep_each_exits_stream_sequence_and_the_first_ack_wins()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Exits.RecordExitsDecided([Exit("M", 1), Exit("M", 2), Exit("M", 3)]);
        Assert.Equal(2, journal.Exits.MarkPublished([("M:1", 11UL), ("M:3", 13UL), ("nope", 99UL)], 5_000));
        Assert.Equal(1, journal.Exits.MarkPublished([("M:1", 21UL), ("M:2", 12UL)], 6_000));

        Assert.Equal([11UL, 12UL, 13UL], journal.Exits.ListExits().Select(e => e.StreamSequence!.Value));
        Assert.Equal([5_000L, 6_000L, 5_000L], journal.Exits.ListExits().Select(e => e.PublishedAtNs!.Value));
        Assert.Equal(0, journal.Exits.CountUnpublished());
        Assert.Equal("2", journal.ReadPragma("synchronous")); // marks commit without their own fsync; the journal stays FULL
    }

    [Fact]
    public async Task The_outbox_takes_a_batch_in_one_transaction_and_publishes_it_in_order_past_a_conflict()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        using var bus = await TestBus.ConnectedAsync(server.Url);
        journal.Exits.RecordExitDecided(Exit("X", 1)); // unpublished from "before": the new outbox's backlog is 1
        await using var outbox = new ExitOutbox(journal.Exits, new JetStreamClient(bus), new ExitOutboxOptions { Capacity = 4 });
        var over = new List<string>();
        outbox.OverCapacity += (e, _) => over.Add(e.Id);
        long commits = journal.Exits.ExitCommits;

        var results = outbox.SubmitBatch([Exit("P", 1), Exit("X", 1) with { Id = "X:dup", Payload = Payload("X:dup") }, Exit("P", 2), Exit("X", 1), Exit("P", 3), Exit("P", 4)]);

        Assert.Equal(commits + 1, journal.Exits.ExitCommits);
        // as four Submits in a row would answer: X:1 (from before), P:1, P:2, P:3 fill the capacity of 4; P:4 is over it
        Assert.Equal([ExitSubmitOutcome.Accepted, ExitSubmitOutcome.Conflict, ExitSubmitOutcome.Accepted, ExitSubmitOutcome.AlreadyDecided,
            ExitSubmitOutcome.Accepted, ExitSubmitOutcome.AcceptedOverCapacity], results.Select(r => r.Outcome));
        Assert.NotNull(results[1].Conflict);
        Assert.Equal(["P:4"], over);
        Assert.Equal(5, outbox.Backlog);

        outbox.Start();
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the outbox drains");
        using var reader = await TestBus.ConnectedAsync(server.Url);
        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(reader));
        Assert.Equal(["X:1", "P:1", "P:2", "P:3", "P:4"], onStream.Select(m => ExitId.Read(m.Data)));
    }

    [Fact]
    public void Refusing_when_full_journals_what_fits_and_refuses_the_first_that_does_not_and_all_after_it()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        var bus = new NatsBus(new NatsBusOptions { Url = "nats://127.0.0.1:1" }); // never connects: nothing is published
        try
        {
            journal.Exits.RecordExitDecided(Exit("R", 1));
            var first = new ExitOutbox(journal.Exits, new JetStreamClient(bus), new ExitOutboxOptions { Capacity = 3, RefuseWhenFull = true });
            var refused = new List<string>();
            first.OverCapacity += (e, r) => { if (r) refused.Add(e.Id); };

            var results = first.SubmitBatch([Exit("R", 1), Exit("R", 2), Exit("R", 3), Exit("R", 4), Exit("R", 5)]);

            Assert.Equal([ExitSubmitOutcome.AlreadyDecided, ExitSubmitOutcome.Accepted, ExitSubmitOutcome.Accepted, ExitSubmitOutcome.Full, ExitSubmitOutcome.Full],
                results.Select(r => r.Outcome));
            Assert.Equal(["R:4"], refused); // the first that did not fit; R:5 was not looked at (held behind it)
            Assert.Equal(["R:1", "R:2", "R:3"], journal.Exits.ListExits().Select(e => e.Id));
            Assert.Equal(4, journal.Exits.NextExitSequence("R"));
            // submitted again while still full: the held exit is still refused, one already journaled is already decided
            Assert.Equal([ExitSubmitOutcome.AlreadyDecided, ExitSubmitOutcome.Full], first.SubmitBatch([Exit("R", 3), Exit("R", 4)]).Select(r => r.Outcome));
        }
        finally
        {
            bus.Dispose();
        }
    }
}
