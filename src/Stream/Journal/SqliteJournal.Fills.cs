using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal;

/// <summary>
/// Fills: journaled once per id in arrival order (<c>ord</c>). A fill either resizes its position
/// (the engine's basket; <see cref="FillsToApply"/> is what a restart feeds again: after the state's
/// fill watermark) or has a disposition that takes it out of that stream: it opened the position,
/// it confirms an exit (<c>exit_id</c>), or it was rejected.
/// </summary>
public sealed partial class SqliteJournal
{
    /// <summary>Journals a fill; a fill id seen before writes nothing and returns <see cref="FillRecordOutcome.Duplicate"/>.</summary>
    public FillRecordOutcome RecordFill(FillRecord fill, long nowNs) => RecordFill(fill, nowNs, out _);

    /// <summary>As <see cref="RecordFill(FillRecord, long)"/>; <paramref name="ordinal"/> is the fill's arrival order (the first journaling's, for a duplicate).</summary>
    public FillRecordOutcome RecordFill(FillRecord fill, long nowNs, out long ordinal)
    {
        ArgumentNullException.ThrowIfNull(fill);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _db.BeginTransaction();
            using (var existing = Command("SELECT ord FROM fills WHERE id = $id", tx))
            {
                existing.Parameters.AddWithValue("$id", fill.Id);
                if (existing.ExecuteScalar() is long seen)
                {
                    ordinal = seen;
                    return FillRecordOutcome.Duplicate;
                }
            }
            using var c = Command("""
                INSERT INTO fills (id, position_id, symbol, qty, price, time, raw_json, recorded_at, ord, exit_id)
                VALUES ($id, $position, $symbol, $qty, $price, $time, $raw, $now, (SELECT COALESCE(MAX(ord), 0) + 1 FROM fills), $exit)
                RETURNING ord
                """, tx);
            c.Parameters.AddWithValue("$id", fill.Id);
            c.Parameters.AddWithValue("$position", fill.PositionId);
            c.Parameters.AddWithValue("$symbol", fill.Symbol);
            c.Parameters.AddWithValue("$qty", fill.Quantity);
            c.Parameters.AddWithValue("$price", fill.Price);
            c.Parameters.AddWithValue("$time", fill.TimeNs);
            c.Parameters.AddWithValue("$raw", (object?)fill.RawJson ?? DBNull.Value);
            c.Parameters.AddWithValue("$now", nowNs);
            c.Parameters.AddWithValue("$exit", (object?)fill.ExitId ?? DBNull.Value);
            ordinal = Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
            tx.Commit();
            return FillRecordOutcome.Recorded;
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

    /// <summary>Takes a fill out of the resize stream with why (opened its position, rejected: reason). False when unknown.</summary>
    public bool SetFillDisposition(string fillId, string disposition)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("UPDATE fills SET disposition = $d WHERE id = $id");
            c.Parameters.AddWithValue("$d", disposition);
            c.Parameters.AddWithValue("$id", fillId);
            return c.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>
    /// Records a position as open (new, or an existing definition replaced) and, when a fill opens it,
    /// marks that fill in the same transaction: the fill is the position's opening size, never a resize.
    /// </summary>
    public void OpenPosition(string positionId, string definitionJson, long nowNs, IReadOnlyList<string>? openingFillIds = null)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _db.BeginTransaction();
            using (var c = Command("""
                INSERT INTO positions (id, definition_json, status, created_at, updated_at)
                VALUES ($id, $def, 'open', $now, $now)
                ON CONFLICT (id) DO UPDATE SET definition_json = excluded.definition_json, status = 'open', updated_at = excluded.updated_at
                """, tx))
            {
                c.Parameters.AddWithValue("$id", positionId);
                c.Parameters.AddWithValue("$def", definitionJson);
                c.Parameters.AddWithValue("$now", nowNs);
                c.ExecuteNonQuery();
            }
            foreach (var fillId in openingFillIds ?? [])
            {
                using var f = Command("UPDATE fills SET disposition = 'opened the position' WHERE id = $id", tx);
                f.Parameters.AddWithValue("$id", fillId);
                f.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>A position's status; null when the journal never had it.</summary>
    public PositionStatus? StatusOf(string positionId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT status FROM positions WHERE id = $id");
            c.Parameters.AddWithValue("$id", positionId);
            return c.ExecuteScalar() switch
            {
                "open" => PositionStatus.Open,
                "closed" => PositionStatus.Closed,
                _ => null,
            };
        }
    }

    /// <summary>
    /// Fills for positions the journal never had, not yet disposed of: a crash between journaling a
    /// fill and opening its position. A restart opens them (the sender's retry would be a duplicate).
    /// </summary>
    public IReadOnlyList<FillRecord> OrphanFills() =>
        ReadFills("WHERE position_id NOT IN (SELECT id FROM positions) AND exit_id IS NULL AND disposition IS NULL AND $position = $position", "", 0);

    /// <summary>A fill's disposition (null: none, or the fill is unknown).</summary>
    public string? FillDisposition(string fillId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT disposition FROM fills WHERE id = $id");
            c.Parameters.AddWithValue("$id", fillId);
            return c.ExecuteScalar() as string;
        }
    }

    /// <summary>
    /// Journals a fill's resize of a position in one transaction: its definition's legs (quantity and
    /// entry price per symbol) and its state (whose fill watermark says which fills it includes); a
    /// position left with nothing open is closed. Written by the exits channel, in order with the
    /// position's exits, so the journal never holds a state that does not fit the definition.
    /// </summary>
    public void RecordPositionChange(PositionChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _db.BeginTransaction();
            string definition;
            using (var read = Command("SELECT definition_json FROM positions WHERE id = $id", tx))
            {
                read.Parameters.AddWithValue("$id", change.PositionId);
                definition = read.ExecuteScalar() as string
                    ?? throw new JournalConflictException($"position '{change.PositionId}' is not journaled: its resize cannot be recorded");
            }
            using (var write = Command("UPDATE positions SET definition_json = $def, updated_at = $now WHERE id = $id", tx))
            {
                write.Parameters.AddWithValue("$def", WithLegs(definition, change));
                write.Parameters.AddWithValue("$now", change.AtNs);
                write.Parameters.AddWithValue("$id", change.PositionId);
                write.ExecuteNonQuery();
            }
            UpsertState(change.PositionId, PositionStateJson.Write(change.State), change.AtNs, tx);
            if (change.State.Closed) UpdateStatus(change.PositionId, PositionStatus.Closed, change.AtNs, tx);
            tx.Commit();
        }
    }

    /// <summary>The definition with each leg's qty and entry_price replaced (matched by symbol); everything else as it was.</summary>
    internal static string WithLegs(string definitionJson, PositionChange change)
    {
        var root = JsonNode.Parse(definitionJson) as JsonObject
            ?? throw new JournalConflictException($"position '{change.PositionId}': its journaled definition is not a JSON object");
        if (root["legs"] is not JsonArray legs)
            throw new JournalConflictException($"position '{change.PositionId}': its journaled definition has no legs");
        foreach (var (symbol, qty, entry) in change.Legs)
        {
            var leg = legs.OfType<JsonObject>().FirstOrDefault(l => l["symbol"]?.GetValue<string>() == symbol)
                ?? throw new JournalConflictException($"position '{change.PositionId}': leg {symbol} is not in its journaled definition");
            leg["qty"] = qty;
            leg["entry_price"] = entry;
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private long JournaledFillWatermark(string positionId)
    {
        using var c = Command("SELECT state_json FROM position_state WHERE position_id = $id");
        c.Parameters.AddWithValue("$id", positionId);
        if (c.ExecuteScalar() is not string json) return 0;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("fill_watermark", out var w) ? w.GetInt64() : 0;
        }
        catch (JsonException)
        {
            return 0; // unreadable state: the restore says so; the save may replace it
        }
    }

    private List<FillRecord> ReadFills(string where, string positionId, long after)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command($"SELECT id, position_id, symbol, qty, price, time, raw_json, exit_id, ord FROM fills {where} ORDER BY ord");
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
