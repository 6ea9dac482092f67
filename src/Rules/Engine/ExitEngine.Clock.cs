using System.Runtime.CompilerServices;
using Streamer.Rules.Books;

namespace Streamer.Rules.Engine;

/// <summary>Sessions and wake-ups: when exits may fire and when the clock must next call the engine.</summary>
public sealed partial class ExitEngine
{

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SyncSession(long now)
    {
        if (now >= _segStart && now < _segEnd) return;
        ResyncSession(now);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ResyncSession(long now)
    {
        if (_calendar.TryGetSessionContaining(now, out long open, out long close))
        {
            _inSession = true;
            _segStart = open;
            _segEnd = close;
            _sessionCloseNs = close;
        }
        else
        {
            _inSession = false;
            _segStart = now;
            _segEnd = _calendar.NextSessionOpenAfter(now);
            _sessionCloseNs = 0;
        }
    }

    /// <summary>The position's next wake: the first instant after the clock a time rule or a deferred exit could fire.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UpdateWake(PositionRuntime rt)
    {
        long old = rt.WakeNs;
        long wake = rt.Closed || rt.Removed || rt.Paused ? long.MaxValue : ComputeWake(rt, _clock);
        rt.WakeNs = wake;
        if (wake < _nextWake) _nextWake = wake;
        else if (old <= _nextWake && wake != old) _wakeDirty = true;
    }

    private long ComputeWake(PositionRuntime rt, long now)
    {
        bool noClock = now == long.MinValue;
        if (!noClock && rt.OpenedNs > now) return rt.OpenedNs;   // its rules start when it opens
        long wake = long.MaxValue;
        if (rt.Pending && !noClock) wake = _calendar.NextSessionOpenAtOrAfter(now + 1);
        wake = Math.Min(wake, InstantWake(rt.MaxHoldNs, now, noClock));
        wake = Math.Min(wake, InstantWake(rt.ExpiryRiskNs, now, noClock));
        wake = Math.Min(wake, InstantWake(rt.DteNs, now, noClock));
        if (rt.P.Has(RuleId.DayTradeClose) && !noClock)
        {
            long before = rt.P.MinutesBeforeClose * Time.NanoTime.PerMinute;
            long close = _calendar.NextSessionCloseAfter(now);
            long at = close - before;
            // inside the window already (a position added at 15:57): due now; one evaluated in it would have closed
            if (at <= now) at = now + 1;
            wake = Math.Min(wake, at);
        }
        return wake;
    }

    /// <summary>
    /// A fixed-instant rule (max_hold, expiry_risk, dte_stop) can fire at its instant, or at the first
    /// session open after it; one already true (we are outside the session) at the next open.
    /// </summary>
    private long InstantWake(long instant, long now, bool noClock)
    {
        if (instant == long.MaxValue) return long.MaxValue;
        if (noClock) return instant;
        return _calendar.NextSessionOpenAtOrAfter(Math.Max(instant, now + 1));
    }

    private void RecomputeNextWake()
    {
        long min = long.MaxValue;
        for (int i = 0; i < _positionCount; i++)
        {
            var rt = _positions[i];
            if (!rt.Closed && !rt.Removed && rt.WakeNs < min) min = rt.WakeNs;
        }
        _nextWake = min;
        _wakeDirty = false;
    }
}
