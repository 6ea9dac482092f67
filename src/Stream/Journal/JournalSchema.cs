namespace Streamer.Stream.Journal;

/// <summary>The journal's tables (docs/journal.md explains each).</summary>
internal static class JournalSchema
{
    public const int Version = 1;

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
            recorded_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS fills_by_position ON fills (position_id);
        -- ord: decision order (AUTOINCREMENT never reuses a value); id: the exit id, unique
        CREATE TABLE IF NOT EXISTS exits (
            ord          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT NOT NULL UNIQUE,
            position_id  TEXT NOT NULL,
            seq          INTEGER NOT NULL,
            subject      TEXT NOT NULL,
            payload      BLOB NOT NULL,
            decided_at   INTEGER NOT NULL,
            published_at INTEGER,
            stream_seq   INTEGER,
            UNIQUE (position_id, seq)
        );
        CREATE INDEX IF NOT EXISTS exits_unpublished ON exits (ord) WHERE published_at IS NULL;
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
        """;
}
