using System.Diagnostics;
using Streamer.Rules.Books;

namespace Streamer.Rules.Engine;

/// <summary>An operator's "close it now" (cold: the control API, never the tick path).</summary>
public sealed partial class ExitEngine
{
    /// <summary>
    /// Decides an exit of rule <see cref="RuleId.Manual"/> for the position's whole open quantity at
    /// <paramref name="nowNs"/> (at least the engine's clock), through the same path as any rule's exit:
    /// the next sequence number (so its id is <c>&lt;position&gt;:&lt;seq&gt;</c> like the rest), the marks and
    /// P&amp;L as they stand (NaN where a leg has no mark yet: the close is not held back for a quote), the
    /// position closed. It runs whether or not the position's rules are paused, but, as every exit, only in
    /// the regular session: outside it nothing is decided and <see cref="CloseNowOutcome.MarketClosed"/>
    /// says why. <paramref name="actor"/> goes into the reason ("Closed by the operator (dashboard 127.0.0.1)").
    /// </summary>
    public CloseNowOutcome CloseNow<TSink>(string id, long nowNs, string actor, ref TSink sink) where TSink : struct, IExitSink =>
        CloseNow(id, nowNs, actor, ref sink, out _);

    /// <param name="sequence">the decided exit's sequence (its id is <c>id:sequence</c>); -1 when none was decided.</param>
    public CloseNowOutcome CloseNow<TSink>(string id, long nowNs, string actor, ref TSink sink, out int sequence) where TSink : struct, IExitSink
    {
        ArgumentNullException.ThrowIfNull(id);
        sequence = -1;
        long start = Stopwatch.GetTimestamp();
        if (!_byId.TryGetValue(id, out int index)) return CloseNowOutcome.UnknownPosition;
        var rt = _positions[index];
        if (rt.Closed || rt.OpenUnits == 0) return CloseNowOutcome.AlreadyClosed;
        long now = Math.Max(nowNs, _clock);
        if (now == long.MinValue) return CloseNowOutcome.NoClock;
        // the clock first: a time rule due by now fires as it would have (and may close the position itself)
        if (now > _clock) OnClock(now, ref sink);
        if (rt.Closed || rt.OpenUnits == 0) return CloseNowOutcome.AlreadyClosed;
        if (rt.OpenedNs != long.MinValue && now < rt.OpenedNs) return CloseNowOutcome.NotOpenYet;
        SyncSession(now);
        if (!_inSession) return CloseNowOutcome.MarketClosed;
        Value(rt, now, out double v, out bool marked, out _);
        double spot = _quotes[rt.UnderlyingId].TryGetPrice(out double s, out _) ? s : double.NaN;
        double v0 = rt.EntryValuePerUnit;
        double pct = marked && v0 != 0 ? (v - v0) / Math.Abs(v0) : double.NaN;
        rt.Pending = false;
        sequence = rt.NextSequence;
        Fire(rt, RuleId.Manual, 0, now, v, marked, pct, spot, ref sink, start, string.IsNullOrEmpty(actor) ? null : $"Closed by the operator ({actor})");
        return CloseNowOutcome.Closed;
    }
}
