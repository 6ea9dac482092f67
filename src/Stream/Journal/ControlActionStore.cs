namespace Streamer.Stream.Journal;

/// <summary>
/// Table <c>control_actions</c>: every operator action that changes what is monitored (add, remove,
/// pause, resume, close) with who asked — <c>nats</c> for <c>streamer.control.*</c>, <c>dashboard …</c>
/// for the page — so "who paused META-1?" has an answer after the fact. Refusals are journaled too.
/// </summary>
public sealed class ControlActionStore
{
    private readonly JournalDatabase _db;

    internal ControlActionStore(JournalDatabase db) => _db = db;

    public void Record(long timeNs, string actor, string verb, string? positionId, bool ok, string? detail)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(verb);
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("INSERT INTO control_actions (time, actor, verb, position_id, ok, detail) VALUES ($t, $a, $v, $p, $ok, $d)");
            c.Parameters.AddWithValue("$t", timeNs);
            c.Parameters.AddWithValue("$a", actor);
            c.Parameters.AddWithValue("$v", verb);
            c.Parameters.AddWithValue("$p", (object?)positionId ?? DBNull.Value);
            c.Parameters.AddWithValue("$ok", ok ? 1 : 0);
            c.Parameters.AddWithValue("$d", (object?)detail ?? DBNull.Value);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>The newest <paramref name="limit"/> actions, oldest first.</summary>
    public IReadOnlyList<ControlAction> Recent(int limit)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT ord, time, actor, verb, position_id, ok, detail FROM (SELECT * FROM control_actions ORDER BY ord DESC LIMIT $n) ORDER BY ord");
            c.Parameters.AddWithValue("$n", limit);
            using var r = c.ExecuteReader();
            var list = new List<ControlAction>();
            while (r.Read())
                list.Add(new ControlAction(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5) != 0, r.IsDBNull(6) ? null : r.GetString(6)));
            return list;
        }
    }

    /// <summary>Positions whose last successful pause/resume was a pause: a restart keeps their rules paused.</summary>
    public IReadOnlySet<string> PausedPositions()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("""
                SELECT position_id, verb FROM control_actions a
                WHERE ok = 1 AND verb IN ('pause', 'resume') AND position_id IS NOT NULL
                  AND ord = (SELECT MAX(ord) FROM control_actions b WHERE b.position_id = a.position_id AND b.ok = 1 AND b.verb IN ('pause', 'resume'))
                """);
            using var r = c.ExecuteReader();
            var paused = new HashSet<string>(StringComparer.Ordinal);
            while (r.Read())
                if (string.Equals(r.GetString(1), "pause", StringComparison.Ordinal)) paused.Add(r.GetString(0));
            return paused;
        }
    }
}
