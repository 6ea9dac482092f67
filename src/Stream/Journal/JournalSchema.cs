namespace Streamer.Stream.Journal;

/// <summary>The journal's tables (docs/journal.md explains each).</summary>
internal static class JournalSchema
{
    public const int Version = 3;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS positions (
            id              TEXT PRIMARY KEY,
            definition_json TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS position_state (
            position_id TEXT PRIMARY KEY,
            state_json  TEXT NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS tranches_fired (
            position_id   TEXT NOT NULL,
            tranche_index INTEGER NOT NULL,
            exit_id       TEXT NOT NULL,
            fired_at      INTEGER NOT NULL,
            PRIMARY KEY (position_id, tranche_index)
        );
        CREATE TABLE IF NOT EXISTS fills (
            id          TEXT PRIMARY KEY,
            position_id TEXT NOT NULL,
            symbol      TEXT NOT NULL,
            qty         REAL NOT NULL,
            price       REAL NOT NULL,
            time        INTEGER NOT NULL,
            raw_json    TEXT,
            recorded_at INTEGER NOT NULL,
            ord         INTEGER,
            exit_id     TEXT,
            disposition TEXT
        );
        CREATE INDEX IF NOT EXISTS fills_by_position ON fills (position_id, ord);
        -- ord: decision order (AUTOINCREMENT never reuses a value); id: the exit id, unique
        CREATE TABLE IF NOT EXISTS exits (
            ord          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT NOT NULL UNIQUE,
            position_id  TEXT NOT NULL,
            seq          INTEGER NOT NULL,
            subject      TEXT NOT NULL,
            payload      BLOB NOT NULL,
            decided_at   INTEGER NOT NULL,
            published_at INTEGER, -- v2 and before; since v3 the ack is in exit_acks
            stream_seq   INTEGER, -- v2 and before
            UNIQUE (position_id, seq)
        );
        -- an exit's ack (its stream sequence, when it came): a narrow row inserted per ack, so marking never rewrites the exit row
        CREATE TABLE IF NOT EXISTS exit_acks (
            ord          INTEGER PRIMARY KEY,
            stream_seq   INTEGER NOT NULL,
            published_at INTEGER NOT NULL
        );
        DROP INDEX IF EXISTS exits_unpublished;
        -- the Alpaca executor (docs/alpaca.md): one row per exit it trades; added later, IF NOT EXISTS keeps older files valid
        CREATE TABLE IF NOT EXISTS exit_orders (
            exit_id         TEXT PRIMARY KEY,
            position_id     TEXT NOT NULL,
            client_order_id TEXT NOT NULL,
            order_id        TEXT,
            status          TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'filled', 'failed')),
            attempts        INTEGER NOT NULL,
            last_error      TEXT,
            updated_at      INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS trading_state (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        -- operator actions over the control API (NATS or the dashboard), with who asked; added later, IF NOT EXISTS keeps older files valid
        CREATE TABLE IF NOT EXISTS control_actions (
            ord         INTEGER PRIMARY KEY AUTOINCREMENT,
            time        INTEGER NOT NULL,
            actor       TEXT NOT NULL,
            verb        TEXT NOT NULL,
            position_id TEXT,
            ok          INTEGER NOT NULL,
            detail      TEXT
        );
        CREATE INDEX IF NOT EXISTS control_actions_by_position ON control_actions (position_id, ord);
        """;

    /// <summary>Indexes on columns a migration adds: created after <see cref="Migrate"/>.</summary>
    public const string Indexes = """
        -- each fill insert takes MAX(ord) + 1: without this, a scan of every fill (intake slowed as the journal grew)
        CREATE INDEX IF NOT EXISTS fills_by_ord ON fills (ord);
        """;

    /// <summary>
    /// Brings a journal written by an older build up to <see cref="Version"/> (inside the opening
    /// transaction, after <see cref="Create"/>, which adds missing tables but not missing columns).
    /// v2: fills get <c>ord</c> (arrival order; fills resize positions in it), <c>exit_id</c>, <c>disposition</c>.
    /// v3: acks move to <c>exit_acks</c> (copied from <c>exits.published_at</c>, <c>stream_seq</c>).
    /// </summary>
    public static void Migrate(Microsoft.Data.Sqlite.SqliteConnection db, long from, Microsoft.Data.Sqlite.SqliteTransaction tx)
    {
        if (from < 2) MigrateToV2(db, tx);
        if (from < 3)
        {
            using var acks = db.CreateCommand();
            acks.Transaction = tx;
            acks.CommandText = """
                INSERT INTO exit_acks (ord, stream_seq, published_at)
                SELECT ord, COALESCE(stream_seq, 0), published_at FROM exits WHERE published_at IS NOT NULL
                ON CONFLICT (ord) DO NOTHING;
                """;
            acks.ExecuteNonQuery();
        }
    }

    private static void MigrateToV2(Microsoft.Data.Sqlite.SqliteConnection db, Microsoft.Data.Sqlite.SqliteTransaction tx)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        using (var info = db.CreateCommand())
        {
            info.Transaction = tx;
            info.CommandText = "PRAGMA table_info(fills);";
            using var r = info.ExecuteReader();
            while (r.Read()) columns.Add(r.GetString(1));
        }
        foreach (var column in (ReadOnlySpan<string>)["ord INTEGER", "exit_id TEXT", "disposition TEXT"])
        {
            if (columns.Contains(column.Split(' ')[0])) continue;
            using var alter = db.CreateCommand();
            alter.Transaction = tx;
            alter.CommandText = $"ALTER TABLE fills ADD COLUMN {column};";
            alter.ExecuteNonQuery();
        }
        using var order = db.CreateCommand();
        order.Transaction = tx;
        // v1 fills: already journaled in arrival order (rowid) and never applied to a position's size
        order.CommandText = "UPDATE fills SET ord = rowid, disposition = COALESCE(disposition, 'v1: journaled only') WHERE ord IS NULL;";
        order.ExecuteNonQuery();
    }
}
