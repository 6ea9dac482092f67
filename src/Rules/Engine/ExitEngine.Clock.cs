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
        if (wake == old || wake == long.MaxValue) return; // the old entry, if any, is now stale
        if (_wakes.Count >= 2 * _positionCount + 16) RebuildWakes();
        else _wakes.Push(wake, rt.Slot);
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

    // an entry is live while its instant is still its position's wake (closed, removed and paused ones have MaxValue)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsLiveTop()
    {
        var rt = _positions[_wakes.TopSlot];
        return _wakes.TopWake == rt.WakeNs && !rt.Closed && !rt.Removed;
    }

    private void DropStaleWakes()
    {
        while (_wakes.Count > 0 && !IsLiveTop()) _wakes.Pop();
    }

    /// <summary>Pops every live entry due by <paramref name="now"/> into <see cref="_due"/> (stale ones are dropped); their count.</summary>
    private int TakeDue(long now)
    {
        int n = 0;
        while (_wakes.Count > 0 && _wakes.TopWake <= now)
        {
            if (IsLiveTop())
            {
                if (n == _due.Length) Array.Resize(ref _due, n * 2); // never on a warm engine: sized to the positions, and entries are deduplicated below
                _due[n++] = _wakes.TopSlot;
            }
            _wakes.Pop();
        }
        return n;
    }

    /// <summary>The queue from the positions' wakes alone (O(n), amortized over the ≥ n pushes that filled it with stale entries).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RebuildWakes()
    {
        _wakes.Clear();
        for (int i = 0; i < _positionCount; i++)
        {
            var rt = _positions[i];
            if (!rt.Closed && !rt.Removed && rt.WakeNs != long.MaxValue) _wakes.Push(rt.WakeNs, i);
        }
    }
}
