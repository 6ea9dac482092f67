using System.Text.Json;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The pipeline's fields for <c>streamer.heartbeat</c> and <c>streamer.control.status</c> (to be
/// written into the host's status object): <c>"feed"</c> (connecting/live/stale/down),
/// <c>"monitoring"</c> (ok | no_positions | no_ticks | unmonitored_positions | feed_stale | feed_down),
/// counts, backpressure and the tick → decision latency.
/// </summary>
internal static class PipelineStatusJson
{
    public static void Write(Utf8JsonWriter w, PipelineStatus s)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        w.WriteString("feed"u8, s.Feed.Name());
        w.WriteString("monitoring"u8, s.Monitoring);
        w.WriteNumber("positions_in_engines"u8, s.Positions);
        w.WriteNumber("positions_waiting_for_tape"u8, s.PositionsWaitingForTape);
        w.WriteNumber("unmonitored_positions"u8, s.UnmonitoredPositions);
        w.WriteNumber("ticks_in"u8, s.TicksIn);
        w.WriteNumber("ticks_processed"u8, s.TicksProcessed);
        w.WriteNumber("insane_quotes"u8, s.InsaneQuotes);
        w.WriteNumber("exits_decided"u8, s.ExitsDecided);
        w.WriteNumber("exits_delivered"u8, s.ExitsDelivered);
        w.WriteNumber("shard_waits"u8, s.ShardStalls);
        w.WriteNumber("shard_wait_ms"u8, Math.Round(s.ShardStallMs, 3));
        w.WriteNumber("exit_waits"u8, s.ExitStalls);
        w.WriteNumber("queued"u8, s.Queued);
        w.WriteNumber("tick_to_decision_p50_ns"u8, s.TickToDecisionP50Ns);
        w.WriteNumber("tick_to_decision_p99_ns"u8, s.TickToDecisionP99Ns);
        w.WriteNumber("tick_to_decision_max_ns"u8, s.TickToDecisionMaxNs);
    }
}
