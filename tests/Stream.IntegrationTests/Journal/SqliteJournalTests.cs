using System.Text;
using Microsoft.Data.Sqlite;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;
using static Streamer.Stream.Tests.Journal.JournalTestData;

namespace Streamer.Stream.Tests.Journal;

public sealed class JournalDatabaseTests
{
    [Fact]
    public void Opens_a_new_file_in_WAL_mode_with_full_sync()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("sub/dir/journal.db"));
        Assert.True(File.Exists(dir.File("sub/dir/journal.db")));
        Assert.Equal("wal", journal.ReadPragma("journal_mode"));
        Assert.Equal("2", journal.ReadPragma("synchronous")); // 2 = FULL
        Assert.Equal("3", journal.ReadPragma("user_version"));
    }

    [Fact]
    public void The_same_exit_id_twice_is_already_decided_and_the_first_decision_stands()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        var first = Exit("SPY-PCS-1", 1);
        Assert.Equal(ExitRecordOutcome.Recorded, journal.Exits.RecordExitDecided(first));
        var again = first with { Payload = "{\"id\":\"SPY-PCS-1:1\",\"changed\":true}"u8.ToArray(), Subject = "streamer.exits.QQQ" };
        Assert.Equal(ExitRecordOutcome.AlreadyDecided, journal.Exits.RecordExitDecided(again));

        var stored = Assert.Single(journal.Exits.ListExits());
        Assert.Equal(first.Payload, stored.Payload);
        Assert.Equal("streamer.exits.SPY", stored.Subject);
        Assert.Equal(2, journal.Exits.NextExitSequence("SPY-PCS-1"));
    }

    [Fact]
    public void Another_id_for_a_taken_sequence_is_a_conflict_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Exits.RecordExitDecided(Exit("P", 1));
        var clash = Exit("P", 1) with { Id = "P:one" };
        var e = Assert.Throws<JournalConflictException>(() => journal.Exits.RecordExitDecided(clash));
        Assert.Contains("sequence 1", e.Message, StringComparison.Ordinal);
        Assert.Equal(["P:1"], journal.Exits.ListExits().Select(x => x.Id));
    }

    [Fact]
    public void An_exit_its_tranches_its_state_and_the_closing_commit_together_or_not_at_all()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Positions.UpsertPosition("P", """{"id":"P"}""", 1);
        journal.Exits.RecordExitDecided(Exit("P", 1, tranches: 0b001, state: """{"tranches":1}"""));

        // a state that "unfires" tranche 0: refused after the exit row was written, so this proves
        // the rollback: neither the exit, the new tranche, the state nor the closing remains
        var refused = Exit("P", 2, tranches: 0b010, state: """{"tranches":"bad"}""", closes: true);
        var e = Assert.Throws<JournalConflictException>(() => journal.Exits.RecordExitDecided(refused));
        Assert.Contains("tranche 0", e.Message, StringComparison.Ordinal);
        Assert.Null(journal.Exits.FindExit("P:2"));
        var p = Assert.Single(journal.Positions.LoadOpenPositions());
        Assert.Equal("""{"tranches":1}""", p.StateJson);
        Assert.Equal([0], p.TranchesFired);
        Assert.Equal(2, p.NextExitSequence);

        // one exit may fire two tranches at once (a jump past two levels); later masks keep the earlier bits
        journal.Exits.RecordExitDecided(Exit("P", 2, tranches: 0b011, state: """{"tranches":3}"""));
        journal.Exits.RecordExitDecided(Exit("P", 3, tranches: 0b111, state: """{"tranches":7}""", closes: true));
        Assert.Empty(journal.Positions.LoadOpenPositions());
        Assert.Equal([0, 1, 2], journal.Positions.TranchesFired("P"));
    }

    [Fact]
    public void Exits_positions_state_and_fills_survive_closing_and_reopening()
    {
        using var dir = new TempDirectory();
        var path = dir.File("j.db");
        using (var journal = JournalDatabase.Open(path))
        {
            journal.Positions.UpsertPosition("A", """{"id":"A","legs":[]}""", 10);
            journal.Positions.UpsertPosition("B", """{"id":"B","legs":[]}""", 11);
            journal.Positions.SavePositionState("A", """{"peak":1.25}""", 12);
            Assert.Equal(FillRecordOutcome.Recorded, journal.Fills.RecordFill(new FillRecord("f1", "A", "SPY260220P00580000", -10, 2.10, 5), 13));
            journal.Exits.RecordExitDecided(Exit("A", 1));
            journal.Exits.RecordExitDecided(Exit("B", 1, closes: true));
            journal.Exits.RecordExitDecided(Exit("A", 2));
            Assert.True(journal.Exits.MarkPublished("A:1", 99, 7));
        }

        using (var reopened = JournalDatabase.Open(path))
        {
            Assert.Equal(["B:1", "A:2"], reopened.Exits.ListUnpublished().Select(e => e.Id));
            var published = reopened.Exits.FindExit("A:1");
            Assert.NotNull(published);
            Assert.Equal(99, published.PublishedAtNs);
            Assert.Equal(7UL, published.StreamSequence);
            Assert.Equal(Payload("A:1"), published.Payload);
            Assert.Equal(3, reopened.Exits.NextExitSequence("A"));
            Assert.Equal(1, reopened.Exits.NextExitSequence("never-seen"));

            var open = Assert.Single(reopened.Positions.LoadOpenPositions()); // B was closed by its exit
            Assert.Equal("A", open.Id);
            Assert.Equal("""{"peak":1.25}""", open.StateJson);
            Assert.Equal("""{"id":"A","legs":[]}""", open.DefinitionJson);
            Assert.Equal(3, open.NextExitSequence);

            Assert.Equal(FillRecordOutcome.Duplicate, reopened.Fills.RecordFill(new FillRecord("f1", "A", "SPY260220P00580000", -10, 2.10, 5), 14));
            var fill = Assert.Single(reopened.Fills.Fills("A"));
            Assert.Equal(-10, fill.Quantity);
            Assert.Equal(2.10, fill.Price);
        }
    }

    [Fact]
    public void A_duplicate_fill_id_is_rejected_even_with_other_contents()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.Equal(FillRecordOutcome.Recorded, journal.Fills.RecordFill(new FillRecord("exec-1", "A", "META", 6, 17.15, 1), 1));
        Assert.Equal(FillRecordOutcome.Duplicate, journal.Fills.RecordFill(new FillRecord("exec-1", "A", "META", 3, 18.00, 2), 2));
        Assert.Equal(FillRecordOutcome.Recorded, journal.Fills.RecordFill(new FillRecord("exec-2", "A", "META", 3, 18.00, 2, """{"raw":1}"""), 2));
        Assert.Equal([6.0, 3.0], journal.Fills.Fills("A").Select(f => f.Quantity));
        Assert.Equal("""{"raw":1}""", journal.Fills.Fills("A")[1].RawJson);
    }

    [Fact]
    public void Marking_published_is_idempotent_and_unknown_ids_say_so()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Exits.RecordExitDecided(Exit("P", 1));
        Assert.True(journal.Exits.MarkPublished("P:1", 5, 1));
        Assert.True(journal.Exits.MarkPublished("P:1", 6, 2)); // a republished duplicate: the first ack is kept
        Assert.Equal(1UL, journal.Exits.FindExit("P:1")!.StreamSequence);
        Assert.False(journal.Exits.MarkPublished("nope:1", 5, 1));
        Assert.Equal(0, journal.Exits.CountUnpublished());
    }

    [Fact]
    public async Task Concurrent_writers_and_readers_lose_nothing_and_keep_each_positions_order()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        const int Writers = 6, PerWriter = 150;
        using var done = new CancellationTokenSource();
        var publisher = Task.Run(() =>
        {
            // a publisher marking as it goes, like the outbox, while the writers write
            long marked = 0;
            while (!done.IsCancellationRequested || journal.Exits.CountUnpublished() > 0)
                foreach (var e in journal.Exits.ListUnpublished(32))
                    if (journal.Exits.MarkPublished(e.Id, 1, (ulong)++marked)) { }
            return marked;
        });
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Factory.StartNew(() =>
        {
            var position = $"W{w}";
            for (int i = 0; i < PerWriter; i++)
            {
                var seq = journal.Exits.NextExitSequence(position);
                Assert.Equal(ExitRecordOutcome.Recorded, journal.Exits.RecordExitDecided(Exit(position, seq)));
                journal.Fills.RecordFill(new FillRecord($"{position}-f{i}", position, "SPY", 1, 1, i), i);
                journal.Positions.SavePositionState(position, $$"""{"i":{{i}}}""", i);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(writers);
        done.Cancel();
        await publisher;

        var all = journal.Exits.ListExits();
        Assert.Equal(Writers * PerWriter, all.Count);
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());
        Assert.All(all, e => Assert.NotNull(e.PublishedAtNs));
        for (int w = 0; w < Writers; w++)
        {
            var mine = journal.Exits.ListExits($"W{w}");
            Assert.Equal(Enumerable.Range(1, PerWriter).Select(i => (long)i), mine.Select(e => e.Sequence));
            Assert.Equal(PerWriter, journal.Fills.Fills($"W{w}").Count);
        }
    }

    [Fact]
    public void A_killed_process_leaves_every_returned_exit_in_the_files_on_disk()
    {
        // What a process killed at any instant leaves behind is the files as they are (the OS keeps
        // the written pages). We copy the database and its WAL while the journal is still open, no
        // checkpoint, no clean close, and open the copy: every exit whose call returned must be there.
        // This proves process-crash durability of committed calls; power loss (fsync) is SQLite's
        // synchronous=FULL promise and is not tested here.
        using var dir = new TempDirectory();
        var path = dir.File("live.db");
        using var journal = JournalDatabase.Open(path);
        for (int i = 1; i <= 40; i++) journal.Exits.RecordExitDecided(Exit("K", i));
        journal.Exits.MarkPublished("K:1", 1, 1);

        var crashed = dir.File("crashed.db");
        File.Copy(path, crashed);
        if (File.Exists(path + "-wal")) File.Copy(path + "-wal", crashed + "-wal");
        Assert.True(new FileInfo(crashed + "-wal").Length > 0, "the commits should still be in the WAL (not checkpointed)");

        using var recovered = JournalDatabase.Open(crashed);
        Assert.Equal(Enumerable.Range(2, 39).Select(i => $"K:{i}"), recovered.Exits.ListUnpublished().Select(e => e.Id));
        Assert.Equal(41, recovered.Exits.NextExitSequence("K"));
    }

    [Fact]
    public void A_write_cut_off_before_its_commit_leaves_no_trace()
    {
        // The writer dies in the middle of a transaction (here: a second connection that writes an
        // exit and its state and is dropped without committing). SQLite rolls it back: the next
        // open sees the journal exactly as it was before. This is SQLite's atomicity that
        // RecordExitDecided relies on (it writes exit + tranche + state in one transaction).
        using var dir = new TempDirectory();
        var path = dir.File("j.db");
        using (var journal = JournalDatabase.Open(path))
        {
            journal.Positions.UpsertPosition("T", """{"id":"T"}""", 1);
            journal.Exits.RecordExitDecided(Exit("T", 1));
        }

        using (var writer = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            writer.Open();
            var tx = writer.BeginTransaction();
            using var c = writer.CreateCommand();
            c.Transaction = tx;
            c.CommandText = "INSERT INTO exits (id, position_id, seq, subject, payload, decided_at) VALUES ('T:2','T',2,'streamer.exits.SPY',x'7b7d',2);" +
                            "INSERT INTO position_state (position_id, state_json, updated_at) VALUES ('T','{}',2);";
            c.ExecuteNonQuery();
            // no Commit: the connection goes away with the transaction open
        }

        using var reopened = JournalDatabase.Open(path);
        Assert.Equal(["T:1"], reopened.Exits.ListExits().Select(e => e.Id));
        Assert.Equal(2, reopened.Exits.NextExitSequence("T"));
        Assert.Null(Assert.Single(reopened.Positions.LoadOpenPositions()).StateJson);
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_a_clear_error()
    {
        using var dir = new TempDirectory();
        var path = dir.File("not-a-db.db");
        File.WriteAllText(path, "this is not sqlite, it is a text file that is long enough to have a header ............");
        var e = Assert.Throws<InvalidOperationException>(() => JournalDatabase.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_2_journal_keeps_its_acks_and_a_mark_never_rewrites_an_exit_row()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v2.db");
        using (var journal = JournalDatabase.Open(path))
        {
            journal.Exits.RecordExitsDecided([Exit("A", 1), Exit("B", 1), Exit("C", 1)]);
        }
        // what v2 wrote: the ack in the exit row, no exit_acks table
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = """
                UPDATE exits SET published_at = 50, stream_seq = 7 WHERE id = 'A:1';
                DROP TABLE exit_acks; DELETE FROM trading_state WHERE key = 'acked_through_ord';
                CREATE INDEX exits_unpublished ON exits (ord) WHERE published_at IS NULL;
                PRAGMA user_version=2;
                """;
            c.ExecuteNonQuery();
        }
        using (var journal = JournalDatabase.Open(path))
        {
            Assert.Equal("3", journal.ReadPragma("user_version"));
            Assert.Equal(7UL, journal.Exits.FindExit("A:1")!.StreamSequence);
            Assert.Equal(50L, journal.Exits.FindExit("A:1")!.PublishedAtNs);
            Assert.Equal(["B:1", "C:1"], journal.Exits.ListUnpublished().Select(e => e.Id));
            Assert.Equal(2, journal.Exits.CountUnpublished());
            Assert.Equal(7UL, journal.Exits.LastStreamSequence());

            // C acked before B (a parked B): the watermark waits at B, and both lists stay right
            Assert.Equal(1, journal.Exits.MarkPublished([("C:1", 9UL)], 60));
            Assert.Equal(["B:1"], journal.Exits.ListUnpublished().Select(e => e.Id));
            Assert.Equal(["B:1"], journal.Exits.ListUnpublishedAfter(0, 10).Select(r => r.Exit.Id));
            Assert.Equal(0, journal.Exits.MarkPublished([("C:1", 11UL), ("nope:1", 12UL)], 70)); // the first ack stands; unknown ids skipped
            Assert.Equal(9UL, journal.Exits.FindExit("C:1")!.StreamSequence);
            Assert.True(journal.Exits.MarkPublished("B:1", 80, 10));
            Assert.Empty(journal.Exits.ListUnpublished());
            Assert.Equal(0, journal.Exits.CountUnpublished());
            Assert.Equal(10UL, journal.Exits.LastStreamSequence());
            // a new exit after the watermark is unpublished, and found from any cursor
            journal.Exits.RecordExitDecided(Exit("D", 1));
            Assert.Equal(["D:1"], journal.Exits.ListUnpublishedAfter(0, 10).Select(r => r.Exit.Id));
        }
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = "SELECT COUNT(*) FROM exits WHERE published_at IS NOT NULL";
            Assert.Equal(1L, (long)c.ExecuteScalar()!); // only v2's own mark: v3 never rewrites an exit row to mark it
        }
    }
}
