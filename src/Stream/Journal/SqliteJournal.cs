using Microsoft.Data.Sqlite;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal;

/// <summary>
/// The durable record of the live service in one SQLite file: positions and their rule state,
/// fills, tranches fired, and every exit decision before it is published (the outbox). WAL mode
/// with <c>synchronous=FULL</c>: a call that returned has its transaction on disk, fsynced, so it
/// survives a crash of the process and of the machine. One connection behind a lock: every call
/// is thread-safe and short; exits are rare next to ticks, so the lock is not a hot path.
/// </summary>
public sealed partial class SqliteJournal : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private bool _disposed;

    private SqliteJournal(string path, SqliteConnection db)
    {
        Path = path;
        _db = db;
    }

    public string Path { get; }

    /// <summary>Opens the journal at <paramref name="path"/>, creating the file and its tables on first use.</summary>
    public static SqliteJournal Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // closing must release the file (restart, tests)
            DefaultTimeout = 30,
        }.ToString();
        var db = new SqliteConnection(cs);
        try
        {
            db.Open();
            Exec(db, "PRAGMA journal_mode=WAL;");
            Exec(db, "PRAGMA synchronous=FULL;");
            Exec(db, "PRAGMA busy_timeout=5000;");
            var version = Scalar<long>(db, "PRAGMA user_version;");
            if (version > JournalSchema.Version)
                throw new InvalidOperationException($"journal {full}: schema version {version} is newer than this build's {JournalSchema.Version}");
            using (var tx = db.BeginTransaction())
            {
                Exec(db, JournalSchema.Create, tx);
                if (version > 0) JournalSchema.Migrate(db, version, tx);
                Exec(db, $"PRAGMA user_version={JournalSchema.Version};", tx);
                tx.Commit();
            }
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new InvalidOperationException($"journal {full}: cannot open: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return new SqliteJournal(full, db);
    }

    // ---- exits (the outbox) ----

    // RecordExitDecided, RecordExitsDecided (group commit), MarkPublished(batch), ListUnpublishedAfter: SqliteJournal.Exits.cs

    /// <summary>Marks an exit acknowledged by the stream. False when the id is unknown; a second mark keeps the first.</summary>
    public bool MarkPublished(string exitId, long publishedAtNs, ulong streamSequence)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("""
                UPDATE exits SET published_at = $at, stream_seq = $sseq
                WHERE id = $id AND published_at IS NULL
                """);
            c.Parameters.AddWithValue("$at", publishedAtNs);
            c.Parameters.AddWithValue("$sseq", (long)streamSequence);
            c.Parameters.AddWithValue("$id", exitId);
            if (c.ExecuteNonQuery() == 1) return true;
            using var exists = Command("SELECT COUNT(*) FROM exits WHERE id = $id");
            exists.Parameters.AddWithValue("$id", exitId);
            return Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
    }

    /// <summary>Unpublished exits in decision order, at most <paramref name="limit"/>: what to (re)publish.</summary>
    public IReadOnlyList<JournaledExit> ListUnpublished(int limit = int.MaxValue)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command($"{SelectExit} WHERE published_at IS NULL ORDER BY ord LIMIT $limit");
            c.Parameters.AddWithValue("$limit", limit);
            return ReadExits(c);
        }
    }

    public int CountUnpublished()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return (int)Scalar<long>(_db, "SELECT COUNT(*) FROM exits WHERE published_at IS NULL");
        }
    }

    /// <summary>All exits (of one position, or all) in decision order.</summary>
    public IReadOnlyList<JournaledExit> ListExits(string? positionId = null)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command(positionId is null ? $"{SelectExit} ORDER BY ord" : $"{SelectExit} WHERE position_id = $position ORDER BY ord");
            if (positionId is not null) c.Parameters.AddWithValue("$position", positionId);
            return ReadExits(c);
        }
    }

    public JournaledExit? FindExit(string exitId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command($"{SelectExit} WHERE id = $id");
            c.Parameters.AddWithValue("$id", exitId);
            var found = ReadExits(c);
            return found.Count == 0 ? null : found[0];
        }
    }

    /// <summary>The sequence the position's next exit takes: 1 + the highest journaled, 1 for none.</summary>
    public long NextExitSequence(string positionId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return NextSequence(positionId);
        }
    }

    // ---- positions and their state ----

    /// <summary>Records a position (or replaces its definition); a new one is open, an existing one keeps its status.</summary>
    public void UpsertPosition(string positionId, string definitionJson, long nowNs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("""
                INSERT INTO positions (id, definition_json, status, created_at, updated_at)
                VALUES ($id, $def, 'open', $now, $now)
                ON CONFLICT (id) DO UPDATE SET definition_json = excluded.definition_json, updated_at = excluded.updated_at
                """);
            c.Parameters.AddWithValue("$id", positionId);
            c.Parameters.AddWithValue("$def", definitionJson);
            c.Parameters.AddWithValue("$now", nowNs);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>Sets a position open or closed; false when the position is unknown.</summary>
    public bool SetPositionStatus(string positionId, PositionStatus status, long nowNs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return UpdateStatus(positionId, status, nowNs, null) == 1;
        }
    }

    /// <summary>Saves the engine's opaque per-position rule state (trailing peak, ...), replacing the previous.</summary>
    public void SavePositionState(string positionId, string stateJson, long nowNs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            UpsertState(positionId, stateJson, nowNs, null);
        }
    }

    /// <summary>
    /// Saves state the engine reached without an exit (a trailing stop's new peak), but only when the
    /// journal already holds every exit the engine decided for the position (the state's next sequence
    /// is the journal's, and so is its fill watermark): a state saved ahead of an exit still in the
    /// outbox would let a restart skip that exit, one ahead of a fill's resize would not fit the
    /// journaled definition. Checked and written under the journal's lock, so an exit recorded meanwhile wins.
    /// False when skipped.
    /// </summary>
    public bool SaveStateIfCurrent(string positionId, in Streamer.Rules.Engine.PositionState state, long nowNs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (NextSequence(positionId) != state.NextSequence) return false;
            // a fill's resize not yet journaled (its definition change rides the exits channel): the saved state would not fit the definition
            if (JournaledFillWatermark(positionId) != state.FillWatermark) return false;
            UpsertState(positionId, PositionStateJson.Write(state), nowNs, null);
            return true;
        }
    }

    /// <summary>A position's saved rule state, whether or not the position itself is journaled; false when none.</summary>
    public bool TryLoadPositionState(string positionId, out string stateJson)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT state_json FROM position_state WHERE position_id = $id");
            c.Parameters.AddWithValue("$id", positionId);
            stateJson = c.ExecuteScalar() as string ?? "";
            return stateJson.Length > 0;
        }
    }

    /// <summary>Open positions with their state, tranches fired and next exit sequence: what a restart resumes.</summary>
    public IReadOnlyList<JournaledPosition> LoadOpenPositions()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var rows = new List<(string Id, string Def, string? State)>();
            using (var c = Command("""
                SELECT p.id, p.definition_json, s.state_json
                FROM positions p LEFT JOIN position_state s ON s.position_id = p.id
                WHERE p.status = 'open' ORDER BY p.created_at, p.id
                """))
            using (var r = c.ExecuteReader())
                while (r.Read()) rows.Add((r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
            var result = new List<JournaledPosition>(rows.Count);
            foreach (var (id, def, state) in rows)
                result.Add(new JournaledPosition(id, def, PositionStatus.Open, state, Tranches(id), NextSequence(id)));
            return result;
        }
    }

    public IReadOnlyList<int> TranchesFired(string positionId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Tranches(positionId);
        }
    }

    /// <summary>a pragma's value on the journal's own connection (tests, diagnostics).</summary>
    internal string ReadPragma(string name)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command($"PRAGMA {name};");
            return Convert.ToString(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _db.Dispose();
        }
    }

    // ---- helpers (callers hold the lock) ----

    private const string SelectExit = "SELECT id, position_id, seq, subject, payload, decided_at, published_at, stream_seq FROM exits";

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

    private long NextSequence(string positionId)
    {
        using var c = Command("SELECT COALESCE(MAX(seq), 0) + 1 FROM exits WHERE position_id = $position");
        c.Parameters.AddWithValue("$position", positionId);
        return Convert.ToInt64(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void RecordTranches(PendingExit exit, SqliteTransaction tx)
    {
        using (var existing = Command("SELECT tranche_index, exit_id FROM tranches_fired WHERE position_id = $position", tx))
        {
            existing.Parameters.AddWithValue("$position", exit.PositionId);
            using var r = existing.ExecuteReader();
            while (r.Read())
            {
                int index = r.GetInt32(0);
                if (index < 32 && (exit.TranchesFiredMask & (1 << index)) == 0)
                    throw new JournalConflictException($"exit '{exit.Id}': position '{exit.PositionId}' fired tranche {index} with exit '{r.GetString(1)}', but the state after this exit says it has not; the exit was not recorded");
            }
        }
        for (int i = 0; i < 32; i++)
        {
            if ((exit.TranchesFiredMask & (1 << i)) == 0) continue;
            using var t = Command("""
                INSERT INTO tranches_fired (position_id, tranche_index, exit_id, fired_at)
                VALUES ($position, $tranche, $id, $at) ON CONFLICT DO NOTHING
                """, tx);
            t.Parameters.AddWithValue("$position", exit.PositionId);
            t.Parameters.AddWithValue("$tranche", i);
            t.Parameters.AddWithValue("$id", exit.Id);
            t.Parameters.AddWithValue("$at", exit.DecidedAtNs);
            t.ExecuteNonQuery();
        }
    }

    private List<int> Tranches(string positionId)
    {
        using var c = Command("SELECT tranche_index FROM tranches_fired WHERE position_id = $position ORDER BY tranche_index");
        c.Parameters.AddWithValue("$position", positionId);
        var list = new List<int>();
        using var r = c.ExecuteReader();
        while (r.Read()) list.Add(r.GetInt32(0));
        return list;
    }

    private void UpsertState(string positionId, string stateJson, long nowNs, SqliteTransaction? tx)
    {
        using var c = Command("""
            INSERT INTO position_state (position_id, state_json, updated_at) VALUES ($id, $state, $now)
            ON CONFLICT (position_id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at
            """, tx);
        c.Parameters.AddWithValue("$id", positionId);
        c.Parameters.AddWithValue("$state", stateJson);
        c.Parameters.AddWithValue("$now", nowNs);
        c.ExecuteNonQuery();
    }

    private int UpdateStatus(string positionId, PositionStatus status, long nowNs, SqliteTransaction? tx)
    {
        using var c = Command("UPDATE positions SET status = $status, updated_at = $now WHERE id = $id", tx);
        c.Parameters.AddWithValue("$status", status == PositionStatus.Open ? "open" : "closed");
        c.Parameters.AddWithValue("$now", nowNs);
        c.Parameters.AddWithValue("$id", positionId);
        return c.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var c = _db.CreateCommand();
        c.CommandText = sql;
        c.Transaction = tx;
        return c;
    }

    private static void Exec(SqliteConnection db, string sql, SqliteTransaction? tx = null)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        c.Transaction = tx;
        c.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        return (T)Convert.ChangeType(c.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
