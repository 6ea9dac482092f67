using System.Text.Json;
using Streamer.Stream.Journal;
using Streamer.Stream.Service;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// The health panel's data, once a second while a page is open: the heartbeat's object
/// (<see cref="StatusReport"/>: feed, NATS, journal, outbox depth, tick → decision) with the tick rate
/// over the last second (its own sample: the heartbeat's is left alone) and the executor's orders by
/// status from the journal (counted every <see cref="OrdersEvery"/>).
/// </summary>
internal sealed class HealthSampler(StatusReport report, ServiceStatus status, JournalDatabase journal, TimeProvider time)
{
    /// <summary>how often the executor's orders are counted: the count reads the journal under its lock, which exit commits share.</summary>
    public static readonly TimeSpan OrdersEvery = TimeSpan.FromSeconds(10);

    private long _lastTicks = -1;
    private long _lastAt;
    private IReadOnlyDictionary<string, long> _orders = new Dictionary<string, long>();
    private long _ordersAt = long.MinValue;

    public byte[] Sample()
    {
        long now = time.GetTimestamp();
        long ticks = status.Ticks;
        double perSecond = 0;
        if (_lastTicks >= 0)
        {
            double seconds = time.GetElapsedTime(_lastAt, now).TotalSeconds;
            if (seconds > 0) perSecond = (ticks - _lastTicks) / seconds;
        }
        _lastTicks = ticks;
        _lastAt = now;
        if (_ordersAt == long.MinValue || time.GetElapsedTime(_ordersAt, now) >= OrdersEvery)
        {
            _ordersAt = now;
            try
            {
                _orders = journal.Orders.CountByStatus();
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                // the journal's own alert says why; the panel keeps the last count
            }
            catch (ObjectDisposedException)
            {
            }
        }
        var orders = _orders;
        return Streamer.Stream.Service.ServiceJson.Write(w =>
        {
            report.Write(w, perSecond);
            w.WriteStartObject("executor_orders"u8);
            foreach (var (state, count) in orders) w.WriteNumber(state, count);
            w.WriteEndObject();
        });
    }
}
