using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Streamer.Stream.Cluster.State;

/// <summary>
/// <see cref="IPartitionStateStore"/> in one SQLite file (the single-process default): tables
/// <c>checkpoints</c> (one row per partition: its revision, clock and sequences),
/// <c>checkpoint_positions</c> (its positions, in order) and <c>partition_fills</c>; WAL with
/// <c>synchronous=FULL</c> as the journal (a save that returned is on disk). A save is one
/// <c>BEGIN IMMEDIATE</c> transaction: it takes the file's write lock before reading the revision, so
/// the compare and the set cannot interleave with another connection's, even another process's.
/// Revisions come from one counter for the whole file (<c>state_revision</c>): they never repeat,
/// across partitions and across deletes. No size limit beyond SQLite's (1 GB a value).
/// </summary>
public sealed class SqlitePartitionStateStore : IPartitionStateStore
{
    public const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS state_revision (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            last INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO state_revision (id, last) VALUES (1, 0);
        CREATE TABLE IF NOT EXISTS checkpoints (
            partition   INTEGER PRIMARY KEY,
            revision    INTEGER NOT NULL,
            clock_ns    INTEGER NOT NULL,
            tick_seq    INTEGER NOT NULL, -- a u64 stored as its two's complement
            exit_seq    INTEGER NOT NULL,
            positions   INTEGER NOT NULL, -- how many checkpoint_positions rows belong to it: a cut-short copy is found on load
            saved_at_ms INTEGER NOT NULL  -- wall clock, for people only
        );
        CREATE TABLE IF NOT EXISTS checkpoint_positions (
            partition       INTEGER NOT NULL,
            ord             INTEGER NOT NULL,
            id              TEXT NOT NULL,
            definition_json TEXT NOT NULL,
            status          TEXT NOT NULL, -- 'open' | 'closed', checked on load (naming the row), not by a constraint
            state_json      TEXT,
            tranches_fired  TEXT NOT NULL, -- a JSON array of tranche indexes
            next_exit_seq   INTEGER NOT NULL,
            PRIMARY KEY (partition, ord)
        );
        CREATE TABLE IF NOT EXISTS partition_fills (
            ord         INTEGER PRIMARY KEY AUTOINCREMENT,
            partition   INTEGER NOT NULL,
            id          TEXT NOT NULL,
            position_id TEXT NOT NULL,
            fill_json   TEXT NOT NULL,
            recorded_at_ms INTEGER NOT NULL,
            UNIQUE (partition, id)
        );
        """;

    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private bool _disposed;

    private SqlitePartitionStateStore(string path, int partitions, SqliteConnection db, TimeProvider time)
    {
        Path = path;
        Partitions = partitions;
        _db = db;
        _time = time;
    }

    public string Path { get; }

    public int Partitions { get; }

    /// <summary>Opens the store at <paramref name="path"/>, creating the file and its tables on first use. Several stores (processes) may open one file: saves stay compare-and-set.</summary>
    public static SqlitePartitionStateStore Open(string path, int partitions, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PartitionStateInput.CheckPartitions(partitions);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // closing must release the file (reopen, tests)
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            db.Open();
            Exec(db, "PRAGMA journal_mode=WAL;");
            Exec(db, "PRAGMA synchronous=FULL;");
            // a second writer waits for the first's commit, then finds the revision moved
            Exec(db, "PRAGMA busy_timeout=10000;");
            using (var c = db.CreateCommand())
            {
                c.CommandText = "PRAGMA quick_check;";
                var check = Convert.ToString(c.ExecuteScalar(), CultureInfo.InvariantCulture);
                if (check != "ok") throw new InvalidDataException($"partition state {full}: the file is damaged ({check}); move it aside: the new owners then start from the journal and the streams");
            }
            long version;
            using (var c = db.CreateCommand())
            {
                c.CommandText = "PRAGMA user_version;";
                version = Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            if (version > SchemaVersion)
                throw new InvalidOperationException($"partition state {full}: schema version {version} is newer than this build's {SchemaVersion}");
            using (var tx = db.BeginTransaction())
            {
                Exec(db, Schema, tx);
                Exec(db, $"PRAGMA user_version={SchemaVersion};", tx);
                tx.Commit();
            }
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new InvalidOperationException($"partition state {full}: cannot open: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return new SqlitePartitionStateStore(full, partitions, db, time ?? TimeProvider.System);
    }

    public ValueTask<StoredCheckpoint?> LoadAsync(int partition, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // one read transaction: the row and its positions from one snapshot, whatever another connection commits meanwhile
            using var tx = _db.BeginTransaction(deferred: true);
            ulong revision;
            long clock, tick, exit, count;
            using (var c = Command("SELECT revision, clock_ns, tick_seq, exit_seq, positions FROM checkpoints WHERE partition = $p", tx))
            {
                c.Parameters.AddWithValue("$p", partition);
                using var r = c.ExecuteReader();
                if (!r.Read()) return ValueTask.FromResult<StoredCheckpoint?>(null);
                revision = unchecked((ulong)r.GetInt64(0));
                clock = r.GetInt64(1);
                tick = r.GetInt64(2);
                exit = r.GetInt64(3);
                count = r.GetInt64(4);
            }
            var positions = new List<PartitionPosition>((int)Math.Clamp(count, 0, 1 << 20));
            using (var c = Command("SELECT ord, id, definition_json, status, state_json, tranches_fired, next_exit_seq FROM checkpoint_positions WHERE partition = $p ORDER BY ord", tx))
            {
                c.Parameters.AddWithValue("$p", partition);
                using var r = c.ExecuteReader();
                while (r.Read())
                {
                    string id = r.GetString(1);
                    string row = string.Create(CultureInfo.InvariantCulture, $"partition state {Path}: table checkpoint_positions, partition {partition}, position '{id}' (ord {r.GetInt64(0)})");
                    var status = r.GetString(3) switch
                    {
                        "open" => PartitionPositionStatus.Open,
                        "closed" => PartitionPositionStatus.Closed,
                        var other => throw new InvalidDataException($"{row}: status '{other}' is neither 'open' nor 'closed'"),
                    };
                    positions.Add(new PartitionPosition(id, r.GetString(2), status, r.IsDBNull(4) ? null : r.GetString(4), Tranches(r.GetString(5), row), r.GetInt64(6)));
                }
            }
            if (positions.Count != count)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"partition state {Path}: table checkpoints, partition {partition} (revision {revision}) says {count} positions, checkpoint_positions holds {positions.Count}"));
            var checkpoint = new PartitionCheckpoint(clock, unchecked((ulong)tick), unchecked((ulong)exit), positions);
            return ValueTask.FromResult<StoredCheckpoint?>(new StoredCheckpoint(revision, checkpoint));
        }
    }

    public ValueTask<CheckpointSave> SaveAsync(int partition, PartitionCheckpoint checkpoint, ulong expectedRevision, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        PartitionStateInput.CheckCheckpoint(partition, checkpoint);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _db.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock before the compare
            ulong current;
            using (var c = Command("SELECT revision FROM checkpoints WHERE partition = $p", tx))
            {
                c.Parameters.AddWithValue("$p", partition);
                current = c.ExecuteScalar() is long r ? unchecked((ulong)r) : 0;
            }
            if (current != expectedRevision) return ValueTask.FromResult(CheckpointSave.Stale(partition, expectedRevision, current));
            long revision;
            using (var c = Command("UPDATE state_revision SET last = last + 1 WHERE id = 1 RETURNING last", tx))
                revision = Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
            using (var c = Command("""
                INSERT INTO checkpoints (partition, revision, clock_ns, tick_seq, exit_seq, positions, saved_at_ms)
                VALUES ($p, $rev, $clock, $tick, $exit, $count, $now)
                ON CONFLICT (partition) DO UPDATE SET revision = excluded.revision, clock_ns = excluded.clock_ns, tick_seq = excluded.tick_seq,
                    exit_seq = excluded.exit_seq, positions = excluded.positions, saved_at_ms = excluded.saved_at_ms
                """, tx))
            {
                c.Parameters.AddWithValue("$p", partition);
                c.Parameters.AddWithValue("$rev", revision);
                c.Parameters.AddWithValue("$clock", checkpoint.ClockNs);
                c.Parameters.AddWithValue("$tick", unchecked((long)checkpoint.TickSequence));
                c.Parameters.AddWithValue("$exit", unchecked((long)checkpoint.ExitSequence));
                c.Parameters.AddWithValue("$count", checkpoint.Positions.Count);
                c.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
                c.ExecuteNonQuery();
            }
            using (var c = Command("DELETE FROM checkpoint_positions WHERE partition = $p", tx))
            {
                c.Parameters.AddWithValue("$p", partition);
                c.ExecuteNonQuery();
            }
            using (var insert = Command("""
                INSERT INTO checkpoint_positions (partition, ord, id, definition_json, status, state_json, tranches_fired, next_exit_seq)
                VALUES ($p, $ord, $id, $def, $status, $state, $tranches, $next)
                """, tx))
            {
                insert.Parameters.AddWithValue("$p", partition);
                var ord = insert.Parameters.Add("$ord", SqliteType.Integer);
                var id = insert.Parameters.Add("$id", SqliteType.Text);
                var def = insert.Parameters.Add("$def", SqliteType.Text);
                var status = insert.Parameters.Add("$status", SqliteType.Text);
                var state = insert.Parameters.Add("$state", SqliteType.Text);
                var tranches = insert.Parameters.Add("$tranches", SqliteType.Text);
                var next = insert.Parameters.Add("$next", SqliteType.Integer);
                for (int i = 0; i < checkpoint.Positions.Count; i++)
                {
                    var p = checkpoint.Positions[i];
                    ord.Value = i;
                    id.Value = p.Id;
                    def.Value = p.DefinitionJson;
                    status.Value = p.Status == PartitionPositionStatus.Open ? "open" : "closed";
                    state.Value = (object?)p.StateJson ?? DBNull.Value;
                    tranches.Value = PartitionStateCodec.TranchesText(p.TranchesFired);
                    next.Value = p.NextExitSequence;
                    insert.ExecuteNonQuery();
                }
            }
            tx.Commit();
            return ValueTask.FromResult(CheckpointSave.Written(unchecked((ulong)revision)));
        }
    }

    public ValueTask<FillAppend> AppendFillAsync(int partition, PartitionFill fill, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        PartitionStateInput.CheckFill(partition, fill);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var c = Command("""
                INSERT INTO partition_fills (partition, id, position_id, fill_json, recorded_at_ms) VALUES ($p, $id, $position, $fill, $now)
                ON CONFLICT (partition, id) DO NOTHING
                """);
            c.Parameters.AddWithValue("$p", partition);
            c.Parameters.AddWithValue("$id", fill.FillId);
            c.Parameters.AddWithValue("$position", fill.PositionId);
            c.Parameters.AddWithValue("$fill", fill.FillJson);
            c.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
            return ValueTask.FromResult(c.ExecuteNonQuery() == 1 ? FillAppend.Appended : FillAppend.Duplicate);
        }
    }

    public ValueTask<IReadOnlyList<PartitionFill>> FillsAsync(int partition, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var c = Command("SELECT id, position_id, fill_json FROM partition_fills WHERE partition = $p ORDER BY ord");
            c.Parameters.AddWithValue("$p", partition);
            var fills = new List<PartitionFill>();
            using var r = c.ExecuteReader();
            while (r.Read()) fills.Add(new PartitionFill(r.GetString(0), r.GetString(1), r.GetString(2)));
            return ValueTask.FromResult<IReadOnlyList<PartitionFill>>(fills);
        }
    }

    public ValueTask DeleteAsync(int partition, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _db.BeginTransaction(deferred: false);
            foreach (var table in (ReadOnlySpan<string>)["checkpoints", "checkpoint_positions", "partition_fills"])
            {
                using var c = Command($"DELETE FROM {table} WHERE partition = $p", tx);
                c.Parameters.AddWithValue("$p", partition);
                c.ExecuteNonQuery();
            }
            tx.Commit();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _db.Dispose();
            }
        }
        return ValueTask.CompletedTask;
    }

    private static IReadOnlyList<int> Tranches(string json, string row)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return PartitionStateCodec.ReadTranches(doc.RootElement, row);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{row}: tranches_fired '{PartitionStateCodec.Cut(json)}' is not a JSON array of tranche indexes ({e.Message})", e);
        }
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
}
