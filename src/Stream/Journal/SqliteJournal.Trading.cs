using System.Globalization;

namespace Streamer.Stream.Journal;

public enum ExitOrderStatus
{
    /// <summary>to submit (first try, or a retry after a refusal/timeout); the client_order_id is journaled before the submit.</summary>
    Pending,
    /// <summary>accepted by the broker, waiting for its fill.</summary>
    Submitted,
    Filled,
    /// <summary>every attempt failed: the position is flagged (alert), nothing more is sent.</summary>
    Failed,
}

/// <summary>The executor's closing order for one exit.</summary>
/// <param name="ClientOrderId">the exit id on the first attempt, <c>&lt;exit id&gt;#&lt;attempt&gt;</c> after.</param>
public sealed record ExitOrderRecord(string ExitId, string PositionId, string ClientOrderId, string? OrderId, ExitOrderStatus Status, int Attempts, string? LastError)
{
    public bool IsDone => Status is ExitOrderStatus.Filled or ExitOrderStatus.Failed;
}

/// <summary>The Alpaca executor's part of the journal: which exits have orders, and from which exit on it trades.</summary>
public sealed partial class SqliteJournal
{
    /// <summary>
    /// The decision order (<c>ord</c>) after which the executor trades exits: set to the newest exit the
    /// first time it is asked (exits decided before the executor was ever enabled are not traded), kept after.
    /// </summary>
    public long ExecutorStartOrd()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using (var init = Command("INSERT INTO trading_state (key, value) SELECT 'executor_from_ord', COALESCE(MAX(ord), 0) FROM exits WHERE true ON CONFLICT (key) DO NOTHING"))
                init.ExecuteNonQuery();
            using var c = Command("SELECT value FROM trading_state WHERE key = 'executor_from_ord'");
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A value of <c>trading_state</c>; null when never set.</summary>
    public long? TradingValue(string key)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT value FROM trading_state WHERE key = $key");
            c.Parameters.AddWithValue("$key", key);
            return c.ExecuteScalar() is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
        }
    }

    public void SetTradingValue(string key, long value)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("INSERT INTO trading_state (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
            c.Parameters.AddWithValue("$key", key);
            c.Parameters.AddWithValue("$value", value);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>The newest exit's decision order (0 for none).</summary>
    public long LastExitOrd()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT COALESCE(MAX(ord), 0) FROM exits");
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Exits decided after <paramref name="ord"/>, in decision order, with their <c>ord</c>.</summary>
    public IReadOnlyList<(long Ord, JournaledExit Exit)> ExitsAfter(long ord, int limit = 1000)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT ord, id, position_id, seq, subject, payload, decided_at, published_at, stream_seq FROM exits WHERE ord > $ord ORDER BY ord LIMIT $limit");
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

    public ExitOrderRecord? FindExitOrder(string exitId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT exit_id, position_id, client_order_id, order_id, status, attempts, last_error FROM exit_orders WHERE exit_id = $id");
            c.Parameters.AddWithValue("$id", exitId);
            using var r = c.ExecuteReader();
            if (!r.Read()) return null;
            return new ExitOrderRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                Enum.Parse<ExitOrderStatus>(r.GetString(4), ignoreCase: true), r.GetInt32(5), r.IsDBNull(6) ? null : r.GetString(6));
        }
    }

    /// <summary>Writes (inserts or replaces) an exit's order row.</summary>
    public void SaveExitOrder(ExitOrderRecord order, long nowNs)
    {
        ArgumentNullException.ThrowIfNull(order);
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("""
                INSERT INTO exit_orders (exit_id, position_id, client_order_id, order_id, status, attempts, last_error, updated_at)
                VALUES ($exit, $position, $cid, $oid, $status, $attempts, $error, $now)
                ON CONFLICT (exit_id) DO UPDATE SET client_order_id = excluded.client_order_id, order_id = excluded.order_id,
                    status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error, updated_at = excluded.updated_at
                """);
            c.Parameters.AddWithValue("$exit", order.ExitId);
            c.Parameters.AddWithValue("$position", order.PositionId);
            c.Parameters.AddWithValue("$cid", order.ClientOrderId);
            c.Parameters.AddWithValue("$oid", (object?)order.OrderId ?? DBNull.Value);
            c.Parameters.AddWithValue("$status", order.Status.ToString().ToLowerInvariant());
            c.Parameters.AddWithValue("$attempts", order.Attempts);
            c.Parameters.AddWithValue("$error", (object?)order.LastError ?? DBNull.Value);
            c.Parameters.AddWithValue("$now", nowNs);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>True when the journal has ever held a position with this id (open or closed).</summary>
    public bool KnowsPosition(string positionId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT EXISTS (SELECT 1 FROM positions WHERE id = $id) OR EXISTS (SELECT 1 FROM exits WHERE position_id = $id)");
            c.Parameters.AddWithValue("$id", positionId);
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }
    }

    /// <summary>The ids of the open positions (cheap: no state, no tranches).</summary>
    public IReadOnlySet<string> OpenPositionIds()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT id FROM positions WHERE status = 'open'");
            var ids = new HashSet<string>(StringComparer.Ordinal);
            using var r = c.ExecuteReader();
            while (r.Read()) ids.Add(r.GetString(0));
            return ids;
        }
    }

    /// <summary>True when a fill with this id is journaled.</summary>
    public bool HasFill(string fillId)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT EXISTS (SELECT 1 FROM fills WHERE id = $id)");
            c.Parameters.AddWithValue("$id", fillId);
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }
    }

    /// <summary>True when any fill's id starts with <paramref name="prefix"/> (the broker fills of one order: <c>alpaca:&lt;order id&gt;:</c>).</summary>
    public bool HasFillWithPrefix(string prefix)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var c = Command("SELECT EXISTS (SELECT 1 FROM fills WHERE substr(id, 1, length($p)) = $p)");
            c.Parameters.AddWithValue("$p", prefix);
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
        }
    }
}
