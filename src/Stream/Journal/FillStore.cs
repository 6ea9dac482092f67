using System.Globalization;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal;

/// <summary>
/// Fills (table <c>fills</c>): journaled once per id in arrival order (<c>ord</c>). A fill either
/// resizes its position (the engine's basket; <see cref="FillsToApply"/> is what a restart feeds
/// again: after the state's fill watermark) or has a disposition that takes it out of that stream:
/// it opened the position, it confirms an exit (<c>exit_id</c>), or it was rejected.
/// </summary>
public sealed class FillStore
{
    private readonly JournalDatabase _db;

    internal FillStore(JournalDatabase db) => _db = db;

    /// <summary>Journals a fill; a fill id seen before writes nothing and returns <see cref="FillRecordOutcome.Duplicate"/>.</summary>
    public FillRecordOutcome RecordFill(FillRecord fill, long nowNs) => RecordFill(fill, nowNs, out _);

    /// <summary>As <see cref="RecordFill(FillRecord, long)"/>; <paramref name="ordinal"/> is the fill's arrival order (the first journaling's, for a duplicate).</summary>
    public FillRecordOutcome RecordFill(FillRecord fill, long nowNs, out long ordinal)
    {
        ArgumentNullException.ThrowIfNull(fill);
        Span<FillRecordOutcome> outcome = stackalloc FillRecordOutcome[1];
        Span<long> ordinals = stackalloc long[1];
        RecordFills([fill], nowNs, outcome, ordinals);
        ordinal = ordinals[0];
        return outcome[0];
    }

    /// <summary>
    /// Journals <paramref name="fills"/> in one transaction, one fsync (the intake's group commit), in
    /// order: each gets its outcome and ordinal as <see cref="RecordFill(FillRecord, long, out long)"/>
    /// would give it (a repeated id, even within the batch, is a duplicate). All or nothing: a
    /// <see cref="Microsoft.Data.Sqlite.SqliteException"/> leaves none journaled.
    /// </summary>
    public void RecordFills(IReadOnlyList<FillRecord> fills, long nowNs, Span<FillRecordOutcome> outcomes, Span<long> ordinals)
    {
        ArgumentNullException.ThrowIfNull(fills);
        if (outcomes.Length < fills.Count || ordinals.Length < fills.Count) throw new ArgumentException("one outcome and one ordinal per fill");
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var tx = _db.BeginTransaction();
            using var existing = _db.Command("SELECT ord FROM fills WHERE id = $id", tx);
            var existingId = existing.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            using var insert = _db.Command("""
                INSERT INTO fills (id, position_id, symbol, qty, price, time, raw_json, recorded_at, ord, exit_id)
                VALUES ($id, $position, $symbol, $qty, $price, $time, $raw, $now, (SELECT COALESCE(MAX(ord), 0) + 1 FROM fills), $exit)
                RETURNING ord
                """, tx);
            var id = insert.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            var position = insert.Parameters.Add("$position", Microsoft.Data.Sqlite.SqliteType.Text);
            var symbol = insert.Parameters.Add("$symbol", Microsoft.Data.Sqlite.SqliteType.Text);
            var qty = insert.Parameters.Add("$qty", Microsoft.Data.Sqlite.SqliteType.Real);
            var price = insert.Parameters.Add("$price", Microsoft.Data.Sqlite.SqliteType.Real);
            var time = insert.Parameters.Add("$time", Microsoft.Data.Sqlite.SqliteType.Integer);
            var raw = insert.Parameters.Add("$raw", Microsoft.Data.Sqlite.SqliteType.Text);
            var now = insert.Parameters.Add("$now", Microsoft.Data.Sqlite.SqliteType.Integer);
            var exit = insert.Parameters.Add("$exit", Microsoft.Data.Sqlite.SqliteType.Text);
            now.Value = nowNs;
            for (int i = 0; i < fills.Count; i++)
            {
                var fill = fills[i];
                existingId.Value = fill.Id;
                if (existing.ExecuteScalar() is long seen)
                {
                    outcomes[i] = FillRecordOutcome.Duplicate;
                    ordinals[i] = seen;
                    continue;
                }
                id.Value = fill.Id;
                position.Value = fill.PositionId;
                symbol.Value = fill.Symbol;
                qty.Value = fill.Quantity;
                price.Value = fill.Price;
                time.Value = fill.TimeNs;
                raw.Value = (object?)fill.RawJson ?? DBNull.Value;
                exit.Value = (object?)fill.ExitId ?? DBNull.Value;
                ordinals[i] = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
                outcomes[i] = FillRecordOutcome.Recorded;
            }
            tx.Commit();
        }
    }

    /// <summary>A position's fills in the order they were journaled.</summary>
    public IReadOnlyList<FillRecord> Fills(string positionId) => ReadFills("WHERE position_id = $position", positionId, 0);

    /// <summary>
    /// The fills a restart feeds to the position again, in order: after <paramref name="watermark"/>
    /// (the state's last applied fill), neither an exit's confirmation nor given a disposition.
    /// </summary>
    public IReadOnlyList<FillRecord> FillsToApply(string positionId, long watermark) =>
        ReadFills("WHERE position_id = $position AND ord > $after AND exit_id IS NULL AND disposition IS NULL", positionId, watermark);

    /// <summary>
    /// Fills for positions the journal never had, not yet disposed of: a crash between journaling a
    /// fill and opening its position. A restart opens them (the sender's retry would be a duplicate).
    /// </summary>
    public IReadOnlyList<FillRecord> OrphanFills() =>
        ReadFills("WHERE position_id NOT IN (SELECT id FROM positions) AND exit_id IS NULL AND disposition IS NULL AND $position = $position", "", 0);

    /// <summary>The ordinal of the last fill journaled (0: none): a restart's cut between the fills it feeds and the intake's.</summary>
    public long LastOrdinal()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT COALESCE(MAX(ord), 0) FROM fills");
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Takes a fill out of the resize stream with why (opened its position, rejected: reason). False when unknown.</summary>
    public bool SetFillDisposition(string fillId, string disposition)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("UPDATE fills SET disposition = $d WHERE id = $id");
            c.Parameters.AddWithValue("$d", disposition);
            c.Parameters.AddWithValue("$id", fillId);
            return c.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>A fill's disposition (null: none, or the fill is unknown).</summary>
    public string? FillDisposition(string fillId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT disposition FROM fills WHERE id = $id");
            c.Parameters.AddWithValue("$id", fillId);
            return c.ExecuteScalar() as string;
        }
    }

    /// <summary>True when a fill with this id is journaled.</summary>
    public bool HasFill(string fillId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT EXISTS (SELECT 1 FROM fills WHERE id = $id)");
            c.Parameters.AddWithValue("$id", fillId);
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }
    }

    /// <summary>True when any fill's id starts with <paramref name="prefix"/> (the broker fills of one order: <c>alpaca:&lt;order id&gt;:</c>).</summary>
    public bool HasFillWithPrefix(string prefix)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT EXISTS (SELECT 1 FROM fills WHERE substr(id, 1, length($p)) = $p)");
            c.Parameters.AddWithValue("$p", prefix);
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }
    }

    /// <summary>
    /// Inside the transaction that opens a position (<see cref="PositionStore.OpenPosition"/>): the fill
    /// is the opening size, so it leaves the resize stream in the same commit (caller holds the lock).
    /// </summary>
    internal void MarkOpening(string fillId, Microsoft.Data.Sqlite.SqliteTransaction tx)
    {
        using var f = _db.Command("UPDATE fills SET disposition = 'opened the position' WHERE id = $id", tx);
        f.Parameters.AddWithValue("$id", fillId);
        f.ExecuteNonQuery();
    }

    private List<FillRecord> ReadFills(string where, string positionId, long after)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command($"SELECT id, position_id, symbol, qty, price, time, raw_json, exit_id, ord FROM fills {where} ORDER BY ord");
            c.Parameters.AddWithValue("$position", positionId);
            c.Parameters.AddWithValue("$after", after);
            var list = new List<FillRecord>();
            using var r = c.ExecuteReader();
            while (r.Read())
                list.Add(new FillRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetDouble(3), r.GetDouble(4), r.GetInt64(5),
                    r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)) { Ordinal = r.GetInt64(8) });
            return list;
        }
    }
}
