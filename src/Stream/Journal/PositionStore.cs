using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal;

/// <summary>
/// Positions (tables <c>positions</c>, <c>position_state</c>, <c>tranches_fired</c>): each one's
/// definition as given, whether it is open, the engine's opaque rule state, and the tranches it
/// fired: what a restart resumes. The exit store writes a decision's effect on its position through
/// the internal members here, inside the exit's own transaction.
/// </summary>
public sealed class PositionStore
{
    private readonly JournalDatabase _db;

    internal PositionStore(JournalDatabase db) => _db = db;

    /// <summary>Records a position (or replaces its definition); a new one is open, an existing one keeps its status.</summary>
    public void UpsertPosition(string positionId, string definitionJson, long nowNs)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("""
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

    /// <summary>
    /// Records a position as open (new, or an existing definition replaced) and, when a fill opens it,
    /// marks that fill in the same transaction: the fill is the position's opening size, never a resize.
    /// </summary>
    public void OpenPosition(string positionId, string definitionJson, long nowNs, IReadOnlyList<string>? openingFillIds = null)
    {
        var fills = _db.Fills;
        // a position opened by fills already journaled (fsynced) is rebuilt from them if this commit is
        // lost (the restart's orphan fills): its commit need not wait for the disk, and WAL order keeps it
        // before anything fsynced later. One opened by control.add has only this commit: it waits.
        bool derivable = openingFillIds is { Count: > 0 };
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            if (!derivable)
            {
                Insert();
                return;
            }
            using (_db.Relaxed()) Insert();
        }

        void Insert()
        {
            using var tx = _db.BeginTransaction();
            using (var c = _db.Command("""
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
            foreach (var fillId in openingFillIds ?? []) fills.MarkOpening(fillId, tx);
            tx.Commit();
        }
    }

    /// <summary>Sets a position open or closed; false when the position is unknown.</summary>
    public bool SetPositionStatus(string positionId, PositionStatus status, long nowNs)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            return UpdateStatus(positionId, status, nowNs, null) == 1;
        }
    }

    /// <summary>A position's status; null when the journal never had it.</summary>
    public PositionStatus? StatusOf(string positionId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT status FROM positions WHERE id = $id");
            c.Parameters.AddWithValue("$id", positionId);
            return c.ExecuteScalar() switch
            {
                "open" => PositionStatus.Open,
                "closed" => PositionStatus.Closed,
                _ => null,
            };
        }
    }

    /// <summary>True when the journal has ever held a position with this id (open or closed).</summary>
    public bool KnowsPosition(string positionId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT EXISTS (SELECT 1 FROM positions WHERE id = $id) OR EXISTS (SELECT 1 FROM exits WHERE position_id = $id)");
            c.Parameters.AddWithValue("$id", positionId);
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }
    }

    /// <summary>The ids of the open positions (cheap: no state, no tranches).</summary>
    public IReadOnlySet<string> OpenPositionIds()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT id FROM positions WHERE status = 'open'");
            var ids = new HashSet<string>(StringComparer.Ordinal);
            using var r = c.ExecuteReader();
            while (r.Read()) ids.Add(r.GetString(0));
            return ids;
        }
    }

    /// <summary>Open positions with their state, tranches fired and next exit sequence: what a restart resumes.</summary>
    public IReadOnlyList<JournaledPosition> LoadOpenPositions()
    {
        var exits = _db.Exits;
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            var rows = new List<(string Id, string Def, string? State)>();
            using (var c = _db.Command("""
                SELECT p.id, p.definition_json, s.state_json
                FROM positions p LEFT JOIN position_state s ON s.position_id = p.id
                WHERE p.status = 'open' ORDER BY p.created_at, p.id
                """))
            using (var r = c.ExecuteReader())
                while (r.Read()) rows.Add((r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
            var result = new List<JournaledPosition>(rows.Count);
            foreach (var (id, def, state) in rows)
                result.Add(new JournaledPosition(id, def, PositionStatus.Open, state, Tranches(id), exits.NextSequence(id)));
            return result;
        }
    }

    public IReadOnlyList<int> TranchesFired(string positionId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            return Tranches(positionId);
        }
    }

    // ---- rule state ----

    /// <summary>Saves the engine's opaque per-position rule state (trailing peak, ...), replacing the previous.</summary>
    public void SavePositionState(string positionId, string stateJson, long nowNs)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
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
        var exits = _db.Exits;
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            if (exits.NextSequence(positionId) != state.NextSequence) return false;
            // a fill's resize not yet journaled (its definition change rides the exits channel): the saved state would not fit the definition
            if (JournaledFillWatermark(positionId) != state.FillWatermark) return false;
            UpsertState(positionId, PositionStateJson.Write(state), nowNs, null);
            return true;
        }
    }

    /// <summary>
    /// <see cref="SaveStateIfCurrent"/> for many positions (the periodic save's round) in one
    /// transaction, one fsync, instead of one each; true in <paramref name="saved"/> where it was saved.
    /// </summary>
    public void SaveStatesIfCurrent(IReadOnlyList<(string Id, Streamer.Rules.Engine.PositionState State)> states, long nowNs, Span<bool> saved)
    {
        ArgumentNullException.ThrowIfNull(states);
        var exits = _db.Exits;
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            // checked first, under the same lock: nothing can journal an exit or a resize between the check and the write
            for (int i = 0; i < states.Count; i++)
                saved[i] = exits.NextSequence(states[i].Id) == states[i].State.NextSequence && JournaledFillWatermark(states[i].Id) == states[i].State.FillWatermark;
            using var relaxed = _db.Relaxed(); // a periodic save: the state before it, and the exits and fills since, rebuild it
            using var tx = _db.BeginTransaction();
            for (int i = 0; i < states.Count; i++)
                if (saved[i]) UpsertState(states[i].Id, PositionStateJson.Write(states[i].State), nowNs, tx);
            tx.Commit();
        }
    }

    /// <summary>A position's saved rule state, whether or not the position itself is journaled; false when none.</summary>
    public bool TryLoadPositionState(string positionId, out string stateJson)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT state_json FROM position_state WHERE position_id = $id");
            c.Parameters.AddWithValue("$id", positionId);
            stateJson = c.ExecuteScalar() as string ?? "";
            return stateJson.Length > 0;
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
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var relaxed = _db.Relaxed(); // its fills are journaled (fsynced): a restart that lacks this resize applies them again
            using var tx = _db.BeginTransaction();
            string definition;
            using (var read = _db.Command("SELECT definition_json FROM positions WHERE id = $id", tx))
            {
                read.Parameters.AddWithValue("$id", change.PositionId);
                definition = read.ExecuteScalar() as string
                    ?? throw new JournalConflictException($"position '{change.PositionId}' is not journaled: its resize cannot be recorded");
            }
            using (var write = _db.Command("UPDATE positions SET definition_json = $def, updated_at = $now WHERE id = $id", tx))
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

    // ---- written inside another store's transaction (callers hold the lock) ----

    internal void UpsertState(string positionId, string stateJson, long nowNs, Microsoft.Data.Sqlite.SqliteTransaction? tx)
    {
        using var c = _db.Command("""
            INSERT INTO position_state (position_id, state_json, updated_at) VALUES ($id, $state, $now)
            ON CONFLICT (position_id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at
            """, tx);
        c.Parameters.AddWithValue("$id", positionId);
        c.Parameters.AddWithValue("$state", stateJson);
        c.Parameters.AddWithValue("$now", nowNs);
        c.ExecuteNonQuery();
    }

    internal int UpdateStatus(string positionId, PositionStatus status, long nowNs, Microsoft.Data.Sqlite.SqliteTransaction? tx)
    {
        using var c = _db.Command("UPDATE positions SET status = $status, updated_at = $now WHERE id = $id", tx);
        c.Parameters.AddWithValue("$status", status == PositionStatus.Open ? "open" : "closed");
        c.Parameters.AddWithValue("$now", nowNs);
        c.Parameters.AddWithValue("$id", positionId);
        return c.ExecuteNonQuery();
    }

    private List<int> Tranches(string positionId)
    {
        using var c = _db.Command("SELECT tranche_index FROM tranches_fired WHERE position_id = $position ORDER BY tranche_index");
        c.Parameters.AddWithValue("$position", positionId);
        var list = new List<int>();
        using var r = c.ExecuteReader();
        while (r.Read()) list.Add(r.GetInt32(0));
        return list;
    }

    private long JournaledFillWatermark(string positionId)
    {
        using var c = _db.Command("SELECT state_json FROM position_state WHERE position_id = $id");
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
}
