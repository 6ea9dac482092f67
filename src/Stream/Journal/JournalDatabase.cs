using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Streamer.Stream.Journal;

/// <summary>
/// The durable record of the live service in one SQLite file, and the one connection and transaction
/// unit its stores share: <see cref="Exits"/> (the outbox), <see cref="Fills"/>, <see cref="Positions"/>
/// (definitions, rule state, tranches fired) and <see cref="Orders"/> (the executor's exit orders).
/// WAL mode with <c>synchronous=FULL</c>: a call that returned has its transaction on disk, fsynced, so
/// it survives a crash of the process and of the machine. One connection behind one lock: every call
/// of every store is thread-safe and short, and a write that spans stores (an exit with the position's
/// new state and the tranches it fired) is one transaction on it. Exits are rare next to ticks, so
/// the lock is not a hot path.
/// </summary>
public sealed class JournalDatabase : IDisposable
{
    private readonly SqliteConnection _db;
    private bool _disposed;

    private JournalDatabase(string path, SqliteConnection db)
    {
        Path = path;
        _db = db;
        Positions = new PositionStore(this);
        Fills = new FillStore(this);
        Exits = new ExitStore(this);
        Orders = new ExitOrderStore(this);
        Actions = new ControlActionStore(this);
    }

    public string Path { get; }

    public ExitStore Exits { get; }

    public FillStore Fills { get; }

    public PositionStore Positions { get; }

    public ExitOrderStore Orders { get; }

    /// <summary>Operator actions (control API, dashboard) and who asked for each.</summary>
    public ControlActionStore Actions { get; }

    /// <summary>
    /// The lock every store takes around its statements: one connection is not safe for concurrent
    /// use, and a transaction begun by one store must not see another store's statement slip in.
    /// </summary>
    internal Lock Gate { get; } = new();

    private IDisposable? _held;

    /// <summary>Opens the journal at <paramref name="path"/>, creating the file and its tables on first use.</summary>
    public static JournalDatabase Open(string path)
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
            // a file cut short or scribbled on is found here, with what to do, not by the first query that trips on it
            var check = Convert.ToString(Scalar<string>(db, "PRAGMA quick_check;"), CultureInfo.InvariantCulture);
            if (check != "ok") throw Damaged(full, check ?? "quick_check failed", null);
            var version = Scalar<long>(db, "PRAGMA user_version;");
            if (version > JournalSchema.Version)
                throw new InvalidOperationException($"journal {full}: schema version {version} is newer than this build's {JournalSchema.Version}");
            using (var tx = db.BeginTransaction())
            {
                Exec(db, JournalSchema.Create, tx);
                if (version > 0) JournalSchema.Migrate(db, version, tx);
                Exec(db, JournalSchema.Indexes, tx);
                Exec(db, $"PRAGMA user_version={JournalSchema.Version};", tx);
                tx.Commit();
            }
        }
        catch (SqliteException e)
        {
            db.Dispose();
            // SQLITE_CORRUPT (11), SQLITE_NOTADB (26): the file is damaged, not missing or locked
            if (e.SqliteErrorCode is 11 or 26) throw Damaged(full, e.Message, e);
            throw new InvalidOperationException($"journal {full}: cannot open: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return new JournalDatabase(full, db);
    }

    private static InvalidOperationException Damaged(string path, string what, Exception? inner) => new(
        $"journal {path}: the file is damaged ({what.TrimEnd('.')}). Move it aside (keep it: it is the record of what was decided), then start on a new file " +
        "with Journal:RebuildFromStream=true: every exit on the exit stream is adopted before anything is decided, so none is decided twice (docs/journal.md \"Recovery\")", inner);

    /// <summary>a pragma's value on the journal's own connection (tests, diagnostics).</summary>
    internal string ReadPragma(string name)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var c = Command($"PRAGMA {name};");
            return Convert.ToString(c.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
        }
    }

    /// <summary>
    /// null while the file this journal writes is the one at <see cref="Path"/>; otherwise what
    /// happened to it. Deleted or replaced under a running service, SQLite goes on writing a file no
    /// path names any more: everything journaled from then on is lost at the next start, which would
    /// decide again every exit already published. On Linux the process's open descriptors say it
    /// (<c>/proc/self/fd</c> shows the old file as "(deleted)"); elsewhere the path's existence.
    /// </summary>
    public string? CheckIdentity()
    {
        bool exists = File.Exists(Path);
        const string Fds = "/proc/self/fd";
        if (Directory.Exists(Fds))
        {
            bool live = false, gone = false;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Fds))
                {
                    string? target;
                    try { target = new FileInfo(fd).LinkTarget; }
                    catch (IOException) { continue; } // closed meanwhile
                    if (target is null) continue;
                    if (target == Path) live = true;
                    else if (target == Path + " (deleted)") gone = true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return exists ? null : $"journal {Path}: the file is gone";
            }
            if (gone && !live) return exists
                ? $"journal {Path}: the file was replaced while running (this service writes the old one, which no path names)"
                : $"journal {Path}: the file was deleted while running";
            if (live || gone) return null;
        }
        return exists ? null : $"journal {Path}: the file was deleted while running";
    }

    /// <summary>Releases <paramref name="held"/> (the service's <see cref="JournalInstanceLock"/>) when the journal closes, after its last commit.</summary>
    public void ReleaseOnClose(IDisposable held)
    {
        ArgumentNullException.ThrowIfNull(held);
        lock (Gate) _held = held;
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            _db.Dispose();
            _held?.Dispose();
        }
    }

    // ---- the transaction unit (callers hold Gate) ----

    /// <summary>A transaction on the shared connection: every store's statements given it commit or roll back together.</summary>
    internal SqliteTransaction BeginTransaction() => _db.BeginTransaction();

    internal SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var c = _db.CreateCommand();
        c.CommandText = sql;
        c.Transaction = tx;
        return c;
    }

    internal void Exec(string sql, SqliteTransaction? tx = null) => Exec(_db, sql, tx);

    /// <summary>
    /// For a commit the journal can rebuild from what it fsynced before (a position opened by, or
    /// resized by, fills already journaled; a periodic state save): committed without waiting for the
    /// disk (<c>synchronous=NORMAL</c>) until disposed. A kill -9 loses nothing (the commit is in the
    /// WAL file); a power loss may lose it, and the restart derives it again. WAL order keeps it before
    /// any later commit that is fsynced. Callers hold <see cref="Gate"/>.
    /// </summary>
    internal RelaxedCommit Relaxed()
    {
        Exec(_db, "PRAGMA synchronous=NORMAL;");
        return new RelaxedCommit(this);
    }

    internal readonly struct RelaxedCommit(JournalDatabase db) : IDisposable
    {
        public void Dispose() => Exec(db._db, "PRAGMA synchronous=FULL;");
    }

    internal long ScalarLong(string sql) => Scalar<long>(_db, sql);

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

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
        return (T)Convert.ChangeType(c.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }
}
