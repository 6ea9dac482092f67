using Microsoft.Data.Sqlite;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal;

/// <summary>
/// Exit decisions (the outbox's queue): one at a time, or a burst in one transaction (group commit:
/// one fsync for every exit queued behind the journal), and their acks marked in batches.
/// </summary>
public sealed partial class SqliteJournal
{
    private long _exitCommits;

    /// <summary>transactions that journaled exits (one per <see cref="RecordExitsDecided"/> or <see cref="RecordExitDecided"/> call): diagnostics.</summary>
    public long ExitCommits => Interlocked.Read(ref _exitCommits);

    /// <summary>
    /// Journals an exit decision (and, in the same transaction, the tranches it fired, the
    /// position's new state and its closing). Idempotent: the same id again writes nothing and
    /// returns <see cref="ExitRecordOutcome.AlreadyDecided"/>. Throws <see cref="JournalConflictException"/>
    /// when another exit id already holds this position's sequence, or the tranche mask drops a
    /// tranche that already fired: the whole decision is then not recorded.
    /// </summary>
    public ExitRecordOutcome RecordExitDecided(PendingExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        var outcome = RecordExitsDecided([exit])[0];
        if (outcome.Conflict is { } conflict) throw conflict;
        return outcome.Outcome;
    }

    /// <summary>
    /// Journals several exit decisions in ONE transaction (one fsync), in the given order (their
    /// <c>ord</c> is that order). Each exit is what <see cref="RecordExitDecided"/> writes, behind its
    /// own savepoint: a conflicting one is rolled back alone and reported in its slot
    /// (<see cref="ExitBatchOutcome.Conflict"/>), the others are committed; an id journaled before is
    /// <see cref="ExitRecordOutcome.AlreadyDecided"/>. Any other failure (I/O, disk full) throws and
    /// nothing of the batch is written: the caller retries the batch.
    /// </summary>
    public IReadOnlyList<ExitBatchOutcome> RecordExitsDecided(IReadOnlyList<PendingExit> exits)
    {
        ArgumentNullException.ThrowIfNull(exits);
        var outcomes = new ExitBatchOutcome[exits.Count];
        if (exits.Count == 0) return outcomes;
        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _db.BeginTransaction();
            using var insert = Command("""
                INSERT INTO exits (id, position_id, seq, subject, payload, decided_at)
                VALUES ($id, $position, $seq, $subject, $payload, $decided)
                ON CONFLICT (id) DO NOTHING
                """, tx);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var position = insert.Parameters.Add("$position", SqliteType.Text);
            var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var subject = insert.Parameters.Add("$subject", SqliteType.Text);
            var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
            var decided = insert.Parameters.Add("$decided", SqliteType.Integer);
            for (int i = 0; i < exits.Count; i++)
            {
                var exit = exits[i] ?? throw new ArgumentException($"exit {i} of the batch is null", nameof(exits));
                tx.Save("e");
                try
                {
                    id.Value = exit.Id;
                    position.Value = exit.PositionId;
                    seq.Value = exit.Sequence;
                    subject.Value = exit.Subject;
                    payload.Value = exit.Payload;
                    decided.Value = exit.DecidedAtNs;
                    int inserted;
                    try
                    {
                        inserted = insert.ExecuteNonQuery();
                    }
                    catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT
                    {
                        throw new JournalConflictException($"exit '{exit.Id}': position '{exit.PositionId}' already has an exit with sequence {exit.Sequence} under another id", e);
                    }
                    if (inserted == 0)
                    {
                        outcomes[i] = new ExitBatchOutcome(ExitRecordOutcome.AlreadyDecided, null); // the first decision stands
                    }
                    else
                    {
                        if (exit.TranchesFiredMask != 0) RecordTranches(exit, tx);
                        if (exit.PositionStateJson is not null) UpsertState(exit.PositionId, exit.PositionStateJson, exit.DecidedAtNs, tx);
                        if (exit.ClosesPosition) UpdateStatus(exit.PositionId, PositionStatus.Closed, exit.DecidedAtNs, tx);
                        outcomes[i] = new ExitBatchOutcome(ExitRecordOutcome.Recorded, null);
                    }
                    tx.Release("e");
                }
                catch (JournalConflictException conflict)
                {
                    // this decision only: the exits before and after it in the batch stand
                    tx.Rollback("e");
                    tx.Release("e");
                    outcomes[i] = ExitBatchOutcome.Refused(conflict);
                }
            }
            tx.Commit();
            Interlocked.Increment(ref _exitCommits);
        }
        return outcomes;
    }

    /// <summary>
    /// Marks many exits acknowledged by the stream in one transaction (not fsynced: below). Unknown ids are
    /// skipped; an exit marked before keeps its first ack. Returns how many were newly marked.
    /// </summary>
    public int MarkPublished(IReadOnlyList<(string ExitId, ulong StreamSequence)> acks, long publishedAtNs)
    {
        ArgumentNullException.ThrowIfNull(acks);
        if (acks.Count == 0) return 0;
        lock (_gate)
        {
            ThrowIfDisposed();
            // no fsync of its own (synchronous=NORMAL for this commit only): the next exit's FULL commit
            // syncs the WAL with it. A power cut before that loses marks, never exits: those exits are
            // published again with their ids (at-least-once). A process crash loses nothing (page cache).
            Exec(_db, "PRAGMA synchronous=NORMAL;");
            try
            {
                return Mark(acks, publishedAtNs);
            }
            finally
            {
                Exec(_db, "PRAGMA synchronous=FULL;");
            }
        }
    }

    /// <summary>one transaction of marks (caller holds the lock).</summary>
    private int Mark(IReadOnlyList<(string ExitId, ulong StreamSequence)> acks, long publishedAtNs)
    {
        using var tx = _db.BeginTransaction();
        using var c = Command("""
            UPDATE exits SET published_at = $at, stream_seq = $sseq
            WHERE id = $id AND published_at IS NULL
            """, tx);
        c.Parameters.AddWithValue("$at", publishedAtNs);
        var sseq = c.Parameters.Add("$sseq", SqliteType.Integer);
        var id = c.Parameters.Add("$id", SqliteType.Text);
        int marked = 0;
        foreach (var (exitId, streamSequence) in acks)
        {
            sseq.Value = (long)streamSequence;
            id.Value = exitId;
            marked += c.ExecuteNonQuery();
        }
        tx.Commit();
        return marked;
    }

    /// <summary>
    /// Unpublished exits after decision position <paramref name="afterOrd"/> (0: from the first), in
    /// decision order, at most <paramref name="limit"/>, each with its position: the publisher's cursor
    /// over what it has not sent yet.
    /// </summary>
    public IReadOnlyList<(long Ord, JournaledExit Exit)> ListUnpublishedAfter(long afterOrd, int limit)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return ReadUnpublishedAfter(_db, afterOrd, limit);
        }
    }

    /// <summary>
    /// A second connection to this file for the outbox's publisher: in WAL mode a reader neither waits
    /// for the writer's commit (its fsync) nor holds it up, so sending an exit never queues behind the
    /// next group commit. Owned and disposed by the caller.
    /// </summary>
    public JournalOutboxReader OpenOutboxReader()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var db = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path,
                Mode = SqliteOpenMode.ReadWrite, // reads only; the file exists
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString());
            try
            {
                db.Open();
            }
            catch
            {
                db.Dispose();
                throw;
            }
            return new JournalOutboxReader(db);
        }
    }

    internal static List<(long Ord, JournaledExit Exit)> ReadUnpublishedAfter(SqliteConnection db, long afterOrd, int limit)
    {
        using var c = db.CreateCommand();
        c.CommandText = """
            SELECT ord, id, position_id, seq, subject, payload, decided_at FROM exits
            WHERE published_at IS NULL AND ord > $after ORDER BY ord LIMIT $limit
            """;
        c.Parameters.AddWithValue("$after", afterOrd);
        c.Parameters.AddWithValue("$limit", limit);
        var list = new List<(long, JournaledExit)>();
        using var r = c.ExecuteReader();
        while (r.Read())
            list.Add((r.GetInt64(0), new JournaledExit(r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), (byte[])r.GetValue(5), r.GetInt64(6), null, null)));
        return list;
    }
}
