using System.Text.Json;
using Streamer.Stream.Journal;
using Streamer.Stream.Service;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// The health panel's data, once a second while a page is open: the heartbeat's object
/// (<see cref="StatusReport"/>: feed, NATS, journal, outbox depth, tick → decision) with the tick rate
/// over the last second (its own sample: the heartbeat's is left alone) and the executor's orders by
/// status from the journal.
/// </summary>
internal sealed class HealthSampler(StatusReport report, ServiceStatus status, JournalDatabase journal, TimeProvider time)
{
    private long _lastTicks = -1;
    private long _lastAt;

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
        IReadOnlyDictionary<string, long> orders;
        try
        {
            orders = journal.Orders.CountByStatus();
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            orders = new Dictionary<string, long>(); // the journal's own alert says why; the panel shows none
        }
        catch (ObjectDisposedException)
        {
            orders = new Dictionary<string, long>();
        }
        return DashboardJson.Write(w =>
        {
            report.Write(w, perSecond);
            w.WriteStartObject("executor_orders"u8);
            foreach (var (state, count) in orders) w.WriteNumber(state, count);
            w.WriteEndObject();
        });
    }
}
