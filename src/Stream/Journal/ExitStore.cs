using System.Globalization;
using Microsoft.Data.Sqlite;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal;

/// <summary>
/// Exit decisions (the outbox's queue, table <c>exits</c>): one at a time, or a burst in one
/// transaction (group commit: one fsync for every exit queued behind the journal), their acks marked
/// in batches, and the reads the publisher and the executor follow them with. An exit is written in
/// one transaction with what it did to its position (<see cref="PositionStore"/>: tranches fired,
/// new rule state, closing), so a restart never sees the one without the other.
/// </summary>
public sealed class ExitStore
{
    // an exit's ack lives in exit_acks (JournalSchema: a narrow row inserted, not the wide exit row rewritten)
    private const string SelectExit = "SELECT e.id, e.position_id, e.seq, e.subject, e.payload, e.decided_at, a.published_at, a.stream_seq FROM exits e LEFT JOIN exit_acks a ON a.ord = e.ord";

    /// <summary>every exit at or below this ord is acked (the marker moves it): scans for unpublished exits start above it.</summary>
    private const string AckedThrough = "COALESCE((SELECT value FROM trading_state WHERE key = 'acked_through_ord'), 0)";

    /// <summary>the unacked exits, above the watermark (a rowid range, then one primary-key probe each).</summary>
    private const string Unacked = "e.ord > " + AckedThrough + " AND NOT EXISTS (SELECT 1 FROM exit_acks a WHERE a.ord = e.ord)";

    private readonly JournalDatabase _db;
    private long _exitCommits;

    internal ExitStore(JournalDatabase db) => _db = db;

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
        for (int i = 0; i < exits.Count; i++)
            if (exits[i] is null) throw new ArgumentException($"exit {i} of the batch is null", nameof(exits));
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            // fast path: no savepoint per exit (a conflict is a bug upstream, so rare); a conflict rolls the
            // whole batch back and it is written again exit by exit, each behind its own savepoint
            if (!TryRecordWithoutSavepoints(exits, outcomes)) RecordWithSavepoints(exits, outcomes);
            Interlocked.Increment(ref _exitCommits);
        }
        return outcomes;
    }

    private bool TryRecordWithoutSavepoints(IReadOnlyList<PendingExit> exits, ExitBatchOutcome[] outcomes)
    {
        using var tx = _db.BeginTransaction();
        using var writer = new DecisionWriter(_db, tx);
        for (int i = 0; i < exits.Count; i++)
        {
            try
            {
                outcomes[i] = new ExitBatchOutcome(writer.Write(exits[i]) ? ExitRecordOutcome.Recorded : ExitRecordOutcome.AlreadyDecided, null);
            }
            catch (JournalConflictException)
            {
                tx.Rollback();
                return false;
            }
        }
        tx.Commit();
        return true;
    }

    private void RecordWithSavepoints(IReadOnlyList<PendingExit> exits, ExitBatchOutcome[] outcomes)
    {
        using var tx = _db.BeginTransaction();
        using var writer = new DecisionWriter(_db, tx);
        for (int i = 0; i < exits.Count; i++)
        {
            tx.Save("e");
            try
            {
                // what the exit did to its position, under the exit's savepoint: all of it or none
                outcomes[i] = new ExitBatchOutcome(writer.Write(exits[i]) ? ExitRecordOutcome.Recorded : ExitRecordOutcome.AlreadyDecided, null);
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
    }

    /// <summary>Marks an exit acknowledged by the stream. False when the id is unknown; a second mark keeps the first.</summary>
    public bool MarkPublished(string exitId, long publishedAtNs, ulong streamSequence)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command(MarkSql);
            c.Parameters.AddWithValue("$at", publishedAtNs);
            c.Parameters.AddWithValue("$sseq", (long)streamSequence);
            c.Parameters.AddWithValue("$id", exitId);
            if (c.ExecuteNonQuery() == 1)
            {
                AdvanceAckedThrough(null);
                return true;
            }
            using var exists = _db.Command("SELECT COUNT(*) FROM exits WHERE id = $id");
            exists.Parameters.AddWithValue("$id", exitId);
            return Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) == 1;
        }
    }

    /// <summary>
    /// Marks many exits acknowledged by the stream in one transaction (not fsynced: below). Unknown ids are
    /// skipped; an exit marked before keeps its first ack. Returns how many were newly marked.
    /// </summary>
    public int MarkPublished(IReadOnlyList<(string ExitId, ulong StreamSequence)> acks, long publishedAtNs)
    {
        ArgumentNullException.ThrowIfNull(acks);
        if (acks.Count == 0) return 0;
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            // no fsync of its own (synchronous=NORMAL for this commit only): the next exit's FULL commit
            // syncs the WAL with it. A power cut before that loses marks, never exits: those exits are
            // published again with their ids (at-least-once). A process crash loses nothing (page cache).
            _db.Exec("PRAGMA synchronous=NORMAL;");
            try
            {
                return Mark(acks, publishedAtNs);
            }
            finally
            {
                _db.Exec("PRAGMA synchronous=FULL;");
            }
        }
    }

    /// <summary>one transaction of marks (caller holds the lock).</summary>
    private int Mark(IReadOnlyList<(string ExitId, ulong StreamSequence)> acks, long publishedAtNs)
    {
        using var tx = _db.BeginTransaction();
        using var c = _db.Command(MarkSql, tx);
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
        if (marked > 0) AdvanceAckedThrough(tx);
        tx.Commit();
        return marked;
    }

    /// <summary>
    /// An ack is a narrow row of its own, inserted: marking the exit row itself rewrote its payload with
    /// it, six times the cost (measured: 37-49k updates/s against 209-276k inserts/s, same file, same run).
    /// The first ack stands (DO NOTHING); an unknown id inserts nothing.
    /// </summary>
    private const string MarkSql = """
        INSERT INTO exit_acks (ord, stream_seq, published_at)
        SELECT ord, $sseq, $at FROM exits WHERE id = $id
        ON CONFLICT (ord) DO NOTHING
        """;

    /// <summary>moves the watermark up to just below the first unacked exit (or the last exit): a short scan, it starts at the old one.</summary>
    private void AdvanceAckedThrough(SqliteTransaction? tx)
    {
        using var c = _db.Command($"""
            INSERT INTO trading_state (key, value) VALUES ('acked_through_ord',
                COALESCE((SELECT e.ord - 1 FROM exits e WHERE {Unacked} ORDER BY e.ord LIMIT 1), (SELECT COALESCE(MAX(ord), 0) FROM exits)))
            ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)
            """, tx);
        c.ExecuteNonQuery();
    }

    /// <summary>Unpublished exits in decision order, at most <paramref name="limit"/>: what to (re)publish.</summary>
    public IReadOnlyList<JournaledExit> ListUnpublished(int limit = int.MaxValue)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command($"{SelectExit} WHERE {Unacked} ORDER BY e.ord LIMIT $limit");
            c.Parameters.AddWithValue("$limit", limit);
            return ReadExits(c);
        }
    }

    public int CountUnpublished()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            return (int)_db.ScalarLong($"SELECT COUNT(*) FROM exits e WHERE {Unacked}");
        }
    }

    /// <summary>
    /// Unpublished exits after decision position <paramref name="afterOrd"/> (0: from the first), in
    /// decision order, at most <paramref name="limit"/>, each with its position: the publisher's cursor
    /// over what it has not sent yet.
    /// </summary>
    public IReadOnlyList<(long Ord, JournaledExit Exit)> ListUnpublishedAfter(long afterOrd, int limit)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("");
            return ReadUnpublishedAfter(c, afterOrd, limit);
        }
    }

    /// <summary>
    /// A second connection to this file for the outbox's publisher: in WAL mode a reader neither waits
    /// for the writer's commit (its fsync) nor holds it up, so sending an exit never queues behind the
    /// next group commit. Owned and disposed by the caller.
    /// </summary>
    public JournalOutboxReader OpenOutboxReader()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            var reader = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = _db.Path,
                Mode = SqliteOpenMode.ReadWrite, // reads only; the file exists
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString());
            try
            {
                reader.Open();
            }
            catch
            {
                reader.Dispose();
                throw;
            }
            return new JournalOutboxReader(reader);
        }
    }

    /// <summary>the query behind <see cref="ListUnpublishedAfter"/>, on whichever connection <paramref name="c"/> belongs to.</summary>
    internal static List<(long Ord, JournaledExit Exit)> ReadUnpublishedAfter(SqliteCommand c, long afterOrd, int limit)
    {
        c.CommandText = $"""
            SELECT e.ord, e.id, e.position_id, e.seq, e.subject, e.payload, e.decided_at FROM exits e
            WHERE e.ord > $after AND {Unacked} ORDER BY e.ord LIMIT $limit
            """;
        c.Parameters.AddWithValue("$after", afterOrd);
        c.Parameters.AddWithValue("$limit", limit);
        var list = new List<(long, JournaledExit)>();
        using var r = c.ExecuteReader();
        while (r.Read())
            list.Add((r.GetInt64(0), new JournaledExit(r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), (byte[])r.GetValue(5), r.GetInt64(6), null, null)));
        return list;
    }

    /// <summary>All exits (of one position, or all) in decision order.</summary>
    public IReadOnlyList<JournaledExit> ListExits(string? positionId = null)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command(positionId is null ? $"{SelectExit} ORDER BY e.ord" : $"{SelectExit} WHERE e.position_id = $position ORDER BY e.ord");
            if (positionId is not null) c.Parameters.AddWithValue("$position", positionId);
            return ReadExits(c);
        }
    }

    public JournaledExit? FindExit(string exitId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command($"{SelectExit} WHERE e.id = $id");
            c.Parameters.AddWithValue("$id", exitId);
            var found = ReadExits(c);
            return found.Count == 0 ? null : found[0];
        }
    }

    /// <summary>The sequence the position's next exit takes: 1 + the highest journaled, 1 for none.</summary>
    public long NextExitSequence(string positionId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            return NextSequence(positionId);
        }
    }

    /// <summary>The newest exit's decision order (0 for none).</summary>
    public long LastExitOrd()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            return _db.ScalarLong("SELECT COALESCE(MAX(ord), 0) FROM exits");
        }
    }

    /// <summary>The highest stream sequence an ack gave any journaled exit (0 for none): where a restart reads the exit stream on from.</summary>
    public ulong LastStreamSequence()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            return (ulong)_db.ScalarLong("SELECT COALESCE(MAX(stream_seq), 0) FROM exit_acks");
        }
    }

    /// <summary>
    /// Set while a publish-first run is on this journal (trading_state <c>publish_first_unclean</c>):
    /// still set at the next start means that run did not stop cleanly, and exits it sent may be on
    /// the stream but not here.
    /// </summary>
    /// <summary>
    /// A position this journal never had, closed by an exit adopted from the stream (a rebuilt journal):
    /// journaled closed, so its id is neither monitored again (a positions file that names it finds it
    /// closed) nor reused. A position the journal has keeps its row.
    /// </summary>
    public void RecordClosedWithoutDefinition(string positionId, long atNs)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("""
                INSERT INTO positions (id, definition_json, status, created_at, updated_at)
                VALUES ($id, '{}', 'closed', $now, $now) ON CONFLICT (id) DO UPDATE SET status = 'closed', updated_at = excluded.updated_at
                """);
            c.Parameters.AddWithValue("$id", positionId);
            c.Parameters.AddWithValue("$now", atNs);
            c.ExecuteNonQuery();
        }
    }

    public bool MayHaveStreamOnlyExits
    {
        get => _db.Orders.TradingValue("publish_first_unclean") is 1;
        set => _db.Orders.SetTradingValue("publish_first_unclean", value ? 1 : 0);
    }

    /// <summary>Each position's highest journaled exit sequence (positions with none are absent).</summary>
    public IReadOnlyDictionary<string, long> LastSequences()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT position_id, MAX(seq) FROM exits GROUP BY position_id");
            var map = new Dictionary<string, long>(StringComparer.Ordinal);
            using var r = c.ExecuteReader();
            while (r.Read()) map[r.GetString(0)] = r.GetInt64(1);
            return map;
        }
    }

    /// <summary>Exits decided after <paramref name="ord"/>, in decision order, with their <c>ord</c>.</summary>
    public IReadOnlyList<(long Ord, JournaledExit Exit)> ExitsAfter(long ord, int limit = 1000)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT e.ord, e.id, e.position_id, e.seq, e.subject, e.payload, e.decided_at, a.published_at, a.stream_seq FROM exits e LEFT JOIN exit_acks a ON a.ord = e.ord WHERE e.ord > $ord ORDER BY e.ord LIMIT $limit");
            c.Parameters.AddWithValue("$ord", ord);
            c.Parameters.AddWithValue("$limit", limit);
            var list = new List<(long, JournaledExit)>();
            using var r = c.ExecuteReader();
            while (r.Read())
            {
                list.Add((r.GetInt64(0), new JournaledExit(r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), (byte[])r.GetValue(5), r.GetInt64(6),
                    r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : (ulong)r.GetInt64(8))));
            }
            return list;
        }
    }

    /// <summary>1 + the position's highest journaled sequence (caller holds the lock; <see cref="PositionStore"/> checks a state against it).</summary>
    internal long NextSequence(string positionId)
    {
        using var c = _db.Command("SELECT COALESCE(MAX(seq), 0) + 1 FROM exits WHERE position_id = $position");
        c.Parameters.AddWithValue("$position", positionId);
        return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static List<JournaledExit> ReadExits(SqliteCommand c)
    {
        var list = new List<JournaledExit>();
        using var r = c.ExecuteReader();
        while (r.Read())
        {
            list.Add(new JournaledExit(
                r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), (byte[])r.GetValue(4), r.GetInt64(5),
                r.IsDBNull(6) ? null : r.GetInt64(6),
                r.IsDBNull(7) ? null : (ulong)r.GetInt64(7)));
        }
        return list;
    }
}
