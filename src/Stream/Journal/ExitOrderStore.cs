using System.Globalization;

namespace Streamer.Stream.Journal;

/// <summary>
/// The Alpaca executor's part of the journal (tables <c>exit_orders</c>, <c>trading_state</c>): which
/// exits have closing orders and how far each got, and from which exit on the executor trades.
/// </summary>
public sealed class ExitOrderStore
{
    private readonly JournalDatabase _db;

    internal ExitOrderStore(JournalDatabase db) => _db = db;

    /// <summary>
    /// The decision order (<c>ord</c>) after which the executor trades exits: set to the newest exit the
    /// first time it is asked (exits decided before the executor was ever enabled are not traded), kept after.
    /// </summary>
    public long ExecutorStartOrd()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using (var init = _db.Command("INSERT INTO trading_state (key, value) SELECT 'executor_from_ord', COALESCE(MAX(ord), 0) FROM exits WHERE true ON CONFLICT (key) DO NOTHING"))
                init.ExecuteNonQuery();
            using var c = _db.Command("SELECT value FROM trading_state WHERE key = 'executor_from_ord'");
            return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A value of <c>trading_state</c>; null when never set.</summary>
    public long? TradingValue(string key)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT value FROM trading_state WHERE key = $key");
            c.Parameters.AddWithValue("$key", key);
            return c.ExecuteScalar() is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
        }
    }

    public void SetTradingValue(string key, long value)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("INSERT INTO trading_state (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
            c.Parameters.AddWithValue("$key", key);
            c.Parameters.AddWithValue("$value", value);
            c.ExecuteNonQuery();
        }
    }

    public ExitOrderRecord? FindExitOrder(string exitId)
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT exit_id, position_id, client_order_id, order_id, status, attempts, last_error FROM exit_orders WHERE exit_id = $id");
            c.Parameters.AddWithValue("$id", exitId);
            using var r = c.ExecuteReader();
            if (!r.Read()) return null;
            return new ExitOrderRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                Enum.Parse<ExitOrderStatus>(r.GetString(4), ignoreCase: true), r.GetInt32(5), r.IsDBNull(6) ? null : r.GetString(6));
        }
    }

    /// <summary>
    /// Rows whose id starts with <paramref name="prefix"/>, not done (neither filled nor failed): the orders
    /// reconciliation itself owes (closing a broken spread's remainder, <c>broken-close:</c>), resumed at start.
    /// </summary>
    public IReadOnlyList<ExitOrderRecord> ListOpenOrders(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT exit_id, position_id, client_order_id, order_id, status, attempts, last_error FROM exit_orders WHERE substr(exit_id, 1, length($p)) = $p AND status IN ('pending', 'submitted') ORDER BY exit_id");
            c.Parameters.AddWithValue("$p", prefix);
            using var r = c.ExecuteReader();
            var list = new List<ExitOrderRecord>();
            while (r.Read())
                list.Add(new ExitOrderRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    Enum.Parse<ExitOrderStatus>(r.GetString(4), ignoreCase: true), r.GetInt32(5), r.IsDBNull(6) ? null : r.GetString(6)));
            return list;
        }
    }

    /// <summary>Writes (inserts or replaces) an exit's order row.</summary>
    public void SaveExitOrder(ExitOrderRecord order, long nowNs)
    {
        ArgumentNullException.ThrowIfNull(order);
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("""
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

    /// <summary>The executor's exit orders by status (pending, submitted, filled, failed): the dashboard's health.</summary>
    public IReadOnlyDictionary<string, long> CountByStatus()
    {
        lock (_db.Gate)
        {
            _db.ThrowIfDisposed();
            using var c = _db.Command("SELECT status, COUNT(*) FROM exit_orders GROUP BY status");
            using var r = c.ExecuteReader();
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            while (r.Read()) counts[r.GetString(0)] = r.GetInt64(1);
            return counts;
        }
    }
}
