using System.Text.Json;
using Streamer.Rules.Time;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
namespace Streamer.Stream.Service;

/// <summary>The liveness object of <c>streamer.heartbeat</c> and <c>streamer.control.status</c>.</summary>
public sealed class StatusReport(ServiceStatus status, IMessageBus bus, ExitOutbox outbox, TimeProvider time)
{
    /// <summary>
    /// <c>{"service":"streamer","time","status":"ok"|"degraded","uptime_s","positions_monitored",
    /// "ticks_per_second","nats","exit_backlog","exits_published"}</c>; degraded while exits wait.
    /// </summary>
    public void Write(Utf8JsonWriter w, double ticksPerSecond)
    {
        w.WriteString("service"u8, "streamer"u8);
        ServiceJson.WriteTime(w, "time", NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime));
        var journalProblem = status.JournalProblem;
        w.WriteString("status"u8, outbox.Backlog == 0 && bus.IsConnected && journalProblem is null ? "ok"u8 : "degraded"u8);
        w.WriteNumber("uptime_s"u8, Math.Round(status.Uptime.TotalSeconds, 3));
        w.WriteNumber("positions_monitored"u8, status.PositionsMonitored);
        w.WriteNumber("ticks_per_second"u8, Math.Round(ticksPerSecond, 1));
        w.WriteString("nats"u8, bus.State switch
        {
            BusState.Connected => "connected",
            BusState.Connecting => "connecting",
            BusState.Disconnected => "disconnected",
            _ => "closed",
        });
        w.WriteNumber("exit_backlog"u8, outbox.Backlog);
        w.WriteNumber("exits_published"u8, outbox.Published);
        w.WriteNumber("positions_parked"u8, outbox.ParkedPositions); // whose exits wait behind one the stream refuses
        // "ok", or what happened to the file (deleted or replaced while running: JournalWatchService)
        w.WriteString("journal"u8, journalProblem ?? "ok");
        status.ExtraFields?.Invoke(w);
    }
}
