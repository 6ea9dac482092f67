using System.Diagnostics;
using System.Runtime.CompilerServices;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Engine;

/// <summary>The tick path: market state, repricing, the rules in priority order, exit decisions. Allocates nothing.</summary>
public sealed partial class ExitEngine
{

    /// <summary>One market-data event. Exits go to <paramref name="sink"/> (at most one per position).</summary>
    public void OnTick<TSink>(in Tick tick, ref TSink sink) where TSink : struct, IExitSink
    {
        long start = Stopwatch.GetTimestamp();
        long t = tick.TimeNs;
        _counters.Ticks++;
        if (_clock == long.MinValue) StartClock(t);
        if (t >= _wakes.TopWake) RunDue(t, ref sink, start); // the top may be stale (earlier): RunDue drops it
        if (t > _clock) _clock = t;

        int id = tick.SymbolId;
        if ((uint)id >= (uint)_quotes.Length) return;
        ref var q = ref _quotes[id];
        bool changed = false;
        if ((tick.Fields & TickFields.Quote) != 0)
        {
            if (!tick.IsSaneQuote) _counters.InsaneQuotes++;
            else if (t < q.QuoteNs) _counters.OutOfOrder++;
            else { q.Bid = tick.Bid; q.Ask = tick.Ask; q.QuoteNs = t; changed = true; }
        }
        if ((tick.Fields & TickFields.Trade) != 0)
        {
            if (!tick.IsSaneTrade) _counters.BadTrades++;
            else if (t < q.TradeNs) _counters.OutOfOrder++;
            else { q.Last = tick.Last; q.TradeNs = t; changed = true; }
        }
        if (!changed) return;
        var subs = _subscribers[id];
        if (subs is null) return;
        long now = _clock;
        SyncSession(now);
        for (int i = 0; i < subs.Length; i++)
        {
            var rt = _positions[subs[i]];
            if (rt.Closed) continue;
            Reprice(rt, id, now);
            if (!rt.Paused) Evaluate(rt, now, ref sink, start); // paused: marks and Greeks move, rules wait
        }
    }

    /// <summary>
    /// Advances the clock to <paramref name="nowNs"/> and fires every time rule and deferred exit
    /// due by then, each at its own instant (in time order). Cheap when nothing is due.
    /// </summary>
    public void OnClock<TSink>(long nowNs, ref TSink sink) where TSink : struct, IExitSink
    {
        long start = Stopwatch.GetTimestamp();
        if (_clock == long.MinValue) StartClock(nowNs);
        RunDue(nowNs, ref sink, start);
        if (nowNs > _clock) _clock = nowNs;
    }

    /// <summary>The first time the engine sees: positions added before it get their opened_at and wake-ups now.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StartClock(long t)
    {
        _clock = t;
        for (int i = 0; i < _positionCount; i++)
        {
            var rt = _positions[i];
            if (rt.Removed) continue;
            if (rt.OpenedNs == long.MinValue) rt.SetOpenedAt(t);
            rt.WakeNs = rt.Closed || rt.Paused ? long.MaxValue : ComputeWake(rt, t - 1);
        }
        RebuildWakes();
    }

    private void RunDue<TSink>(long upTo, ref TSink sink, long start) where TSink : struct, IExitSink
    {
        while (true)
        {
            long wake = NextWakeNs;
            if (wake > upTo) return;
            long now = Math.Max(wake, _clock);
            _clock = now;
            SyncSession(now);
            // every position due by now, evaluated in slot order (as a scan of all positions would): deterministic
            int n = TakeDue(now);
            var due = _due.AsSpan(0, n);
            due.Sort();
            for (int i = 0; i < due.Length; i++)
            {
                if (i > 0 && due[i] == due[i - 1]) continue; // a wake that moved away and back left two entries
                var rt = _positions[due[i]];
                if (rt.Closed || rt.Removed || rt.Paused || rt.WakeNs > now) continue;
                Evaluate(rt, now, ref sink, start);
            }
        }
    }

    /// <summary>Updates the legs of a position after a tick on <paramref name="symbolId"/>.</summary>
    private void Reprice(PositionRuntime rt, int symbolId, long now)
    {
        bool spotTick = symbolId == rt.UnderlyingId;
        var legs = rt.Legs;
        for (int i = 0; i < legs.Length; i++)
        {
            ref var leg = ref legs[i];
            if (leg.SymbolId == symbolId) UpdateMark(ref leg, rt.P.Mark);
            if (leg.IsOption && (spotTick || leg.SymbolId == symbolId)) UpdateGreeks(rt, ref leg, now, solve: leg.SymbolId == symbolId || !leg.HasIv);
        }
    }

    private void RepriceAll(PositionRuntime rt)
    {
        long now = _clock;
        var legs = rt.Legs;
        for (int i = 0; i < legs.Length; i++)
        {
            ref var leg = ref legs[i];
            UpdateMark(ref leg, rt.P.Mark);
            if (leg.IsOption && now != long.MinValue) UpdateGreeks(rt, ref leg, now, solve: true);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void UpdateMark(ref LegRuntime leg, MarkMode mode)
    {
        ref readonly var q = ref _quotes[leg.SymbolId];
        switch (mode)
        {
            case MarkMode.Mid:
                if (q.QuoteNs == long.MinValue) return;
                leg.Mark = 0.5 * (q.Bid + q.Ask);
                leg.MarkNs = q.QuoteNs;
                break;
            case MarkMode.Conservative:
                if (q.QuoteNs == long.MinValue) return;
                leg.Mark = leg.Ratio > 0 ? q.Bid : q.Ask;   // what closing gets: sell a long at the bid, buy a short back at the ask
                leg.MarkNs = q.QuoteNs;
                break;
            default:
                if (q.TradeNs == long.MinValue) return;
                leg.Mark = q.Last;
                leg.MarkNs = q.TradeNs;
                break;
        }
        leg.HasMark = true;
    }

    /// <summary>
    /// IV from the leg's mark (when <paramref name="solve"/>: a new option quote, or no IV yet), then
    /// Greeks at the current spot with the last good IV. An unsolvable mark keeps the last IV.
    /// </summary>
    private void UpdateGreeks(PositionRuntime rt, ref LegRuntime leg, long now, bool solve)
    {
        if (!_quotes[rt.UnderlyingId].TryGetPrice(out double spot, out _)) return;
        double t = (leg.ExpiryNs - now) / YearNs;
        if (t <= 0) { leg.HasIv = false; return; }
        if (solve && leg.HasMark && (leg.Mark != leg.IvSolvedMark || spot != leg.IvSolvedSpot || !leg.HasIv))
        {
            leg.IvSolvedMark = leg.Mark;
            leg.IvSolvedSpot = spot;
            // warm start from the leg's last IV (consecutive quotes are close); NaN → cold solve
            double guess = leg.HasIv ? leg.Iv : double.NaN;
            if (LegPricing.TrySolveIv(rt, leg, spot, t, now, guess, out double vol) == IvStatus.Ok && vol > 0 && double.IsFinite(vol))
            {
                leg.Iv = vol;
                leg.HasIv = true;
            }
            else
            {
                _counters.IvFailures++;
            }
        }
        if (!leg.HasIv) return;
        // only delta_stop (on a short option leg) reads Greeks per tick; otherwise they are computed when an exit or a snapshot needs them
        if (!rt.GreeksEveryTick) { leg.GreeksStale = true; return; }
        // the ALO path writes delta and gamma only; theta and vega wait, stale, for the exit or snapshot that reads them
        if (LegPricing.TryDeltaOnly(rt, leg, spot, t, now, out double delta, out double gamma))
        {
            leg.Delta = delta;
            leg.Gamma = gamma;
            leg.GreeksStale = true;
            return;
        }
        ComputeGreeks(rt, ref leg, spot, t, now);
    }

    private static void ComputeGreeks(PositionRuntime rt, ref LegRuntime leg, double spot, double t, long now)
    {
        var g = LegPricing.Greeks(rt, leg, spot, t, now, cache: true);
        leg.Delta = g.Delta;
        leg.Gamma = g.Gamma;
        leg.Theta = g.Theta;
        leg.Vega = g.Vega;
        leg.GreeksStale = false;
    }

    /// <summary>Σ ratio × mark × multiplier; <paramref name="marked"/>: every leg has a mark, <paramref name="fresh"/>: none is stale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Value(PositionRuntime rt, long now, out double valuePerUnit, out bool marked, out bool fresh)
    {
        double v = 0;
        marked = true;
        fresh = true;
        long stale = rt.P.StaleAfterNs;
        var legs = rt.Legs;
        for (int i = 0; i < legs.Length; i++)
        {
            ref readonly var leg = ref legs[i];
            if (!leg.HasMark) { marked = false; fresh = false; continue; }
            if (now - leg.MarkNs > stale) fresh = false;
            v += leg.Ratio * leg.Mark * leg.Multiplier;
        }
        valuePerUnit = marked ? v : double.NaN;
    }

    /// <summary>The rules in priority order; at most one exit. See rules.md and docs/rules-notes.md.</summary>
    private void Evaluate<TSink>(PositionRuntime rt, long now, ref TSink sink, long start) where TSink : struct, IExitSink
    {
        if (rt.OpenedNs == long.MinValue) { rt.SetOpenedAt(now); UpdateWake(rt); }
        if (now < rt.OpenedNs)
        {
            // not opened yet at this clock (added ahead of its opened_at): nothing to evaluate
            if (now >= rt.WakeNs) UpdateWake(rt);
            return;
        }
        ref readonly var p = ref rt.P;
        var rules = p.Rules;
        Value(rt, now, out double v, out bool marked, out bool fresh);
        bool priced = marked && fresh;
        bool spotOk = _quotes[rt.UnderlyingId].TryGetPrice(out double spot, out long spotNs) && now - spotNs <= p.StaleAfterNs;
        double v0 = rt.EntryValuePerUnit;
        // gain_pct (debit) and pct_max_profit (credit) are the same ratio against |V0|
        double pct = priced && v0 != 0 ? (v - v0) / Math.Abs(v0) : double.NaN;

        if (priced && rt.IsDebit && (rules & RuleSet.TrailingStop) != 0)
        {
            if (!rt.TrailActive && AtLeast(v, v0 * (1 + p.ActivateGainPct))) { rt.TrailActive = true; rt.TrailPeakPerUnit = v; }
            else if (rt.TrailActive && v > rt.TrailPeakPerUnit) rt.TrailPeakPerUnit = v;
        }

        RuleId rule = RuleId.None;
        int tranches = 0;
        // 1. hard stops
        if ((rules & RuleSet.UnderlyingStop) != 0 && spotOk && !double.IsNaN(rt.Stop) &&
            (rt.Direction > 0 ? AtMost(spot, rt.Stop) : AtLeast(spot, rt.Stop))) rule = RuleId.UnderlyingStop;
        else if ((rules & RuleSet.PremiumStop) != 0 && priced && rt.IsDebit && AtMost(pct, -p.LossPct)) rule = RuleId.PremiumStop;
        else if ((rules & RuleSet.CreditStop) != 0 && priced && rt.IsCredit && AtLeast(-v, p.DebitMultiple * -v0)) rule = RuleId.CreditStop;
        else if ((rules & RuleSet.DeltaStop) != 0 && priced && spotOk && ShortDeltaBreached(rt, p.ShortDelta)) rule = RuleId.DeltaStop;
        else if ((rules & RuleSet.Touch) != 0 && spotOk && ShortStrikeTouched(rt, spot, p.TouchDistance)) rule = RuleId.Touch;
        else if ((rules & RuleSet.TrailingStop) != 0 && priced && rt.IsDebit && rt.TrailActive && AtMost(v, rt.TrailPeakPerUnit * (1 - p.TrailPct))) rule = RuleId.TrailingStop;
        // 2. targets
        else if ((rules & RuleSet.UnderlyingTarget) != 0 && spotOk && !double.IsNaN(rt.Target) &&
            (rt.Direction > 0 ? AtLeast(spot, rt.Target) : AtMost(spot, rt.Target))) rule = RuleId.UnderlyingTarget;
        else if ((rules & RuleSet.UnderlyingMove) != 0 && spotOk &&
            ((!double.IsNaN(p.UpPct) && AtLeast(spot, rt.UnderlyingEntry * (1 + p.UpPct))) ||
             (!double.IsNaN(p.DownPct) && AtMost(spot, rt.UnderlyingEntry * (1 - p.DownPct))))) rule = RuleId.UnderlyingMove;
        else if ((rules & RuleSet.PremiumTarget) != 0 && priced && rt.IsDebit && AtLeast(pct, p.GainPct)) rule = RuleId.PremiumTarget;
        // 3. time (an "all" rule dominates a tranche, so scale_out comes after them)
        else if ((rules & RuleSet.DayTradeClose) != 0 && _inSession && now >= _sessionCloseNs - p.MinutesBeforeClose * Time.NanoTime.PerMinute) rule = RuleId.DayTradeClose;
        else if (now >= rt.ExpiryRiskNs) rule = RuleId.ExpiryRisk;
        else if (now >= rt.DteNs) rule = RuleId.DteStop;
        // 4.
        else if (now >= rt.MaxHoldNs) rule = RuleId.MaxHold;
        else if ((rules & RuleSet.ScaleOut) != 0 && priced && v0 != 0)
        {
            tranches = ReachedTranches(rt, pct);
            if (tranches != 0) rule = RuleId.ScaleOut;
        }

        if (rule == RuleId.None)
        {
            if (rt.Pending) { rt.Pending = false; UpdateWake(rt); }
            else if (now >= rt.WakeNs) UpdateWake(rt);
            return;
        }
        if (!_inSession)
        {
            // rules.md: exits fire only in the regular session; this one fires at the next open if it still holds
            if (!rt.Pending) { rt.Pending = true; _counters.Deferred++; UpdateWake(rt); }
            else if (now >= rt.WakeNs) UpdateWake(rt);
            return;
        }
        rt.Pending = false;
        Fire(rt, rule, tranches, now, v, marked, pct, spot, ref sink, start);
    }

    /// <summary>Mask of tranches not yet fired whose level is reached (several at once close together).</summary>
    private static int ReachedTranches(PositionRuntime rt, double level)
    {
        int mask = 0;
        for (int i = 0; i < rt.TrancheCount; i++)
        {
            if ((rt.TranchesFired & (1 << i)) == 0 && AtLeast(level, rt.TrancheLevel[i])) mask |= 1 << i;
        }
        return mask;
    }

    private static bool ShortDeltaBreached(PositionRuntime rt, double threshold)
    {
        var legs = rt.Legs;
        for (int i = 0; i < legs.Length; i++)
        {
            ref readonly var leg = ref legs[i];
            if (leg.IsOption && leg.Ratio < 0 && leg.HasIv && AtLeast(Math.Abs(leg.Delta), threshold)) return true;
        }
        return false;
    }

    private static bool ShortStrikeTouched(PositionRuntime rt, double spot, double distance)
    {
        var legs = rt.Legs;
        for (int i = 0; i < legs.Length; i++)
        {
            ref readonly var leg = ref legs[i];
            if (!leg.IsOption || leg.Ratio >= 0) continue;
            if (leg.Right == OptionRight.Put ? AtMost(spot, leg.Strike + distance) : AtLeast(spot, leg.Strike - distance)) return true;
        }
        return false;
    }

    private void Fire<TSink>(PositionRuntime rt, RuleId rule, int tranches, long now, double v, bool marked, double pct, double spot,
        ref TSink sink, long start, string? reasonText = null) where TSink : struct, IExitSink
    {
        int close = rt.OpenUnits;
        string reason = reasonText ?? rt.Reasons[(int)rule];
        if (rule == RuleId.ScaleOut)
        {
            int last = rt.TrancheCount - 1;
            if ((tranches & (1 << last)) == 0)
            {
                close = 0;
                for (int i = 0; i < last; i++) if ((tranches & (1 << i)) != 0) close += rt.TrancheSize[i];
                close = Math.Min(close, rt.OpenUnits);
            }
            int highest = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)tranches);
            reason = rt.TrancheReasons[highest];
            rt.TranchesFired |= tranches;
        }

        var greeks = GreeksOf(rt);
        var legs = rt.Legs;
        var exitLegs = rt.ExitLegs;
        for (int i = 0; i < legs.Length; i++)
        {
            exitLegs[i].Qty = -legs[i].Ratio * close;
            exitLegs[i].Mark = legs[i].HasMark ? legs[i].Mark : double.NaN;
        }
        double v0 = rt.EntryValuePerUnit;
        double value = marked ? v * close : double.NaN;
        double pnl = marked ? (v - v0) * close : double.NaN;
        rt.OpenUnits -= close;
        if (double.IsFinite(pnl)) rt.RealizedPnl += pnl;
        if (rt.OpenUnits == 0) rt.Closed = true;
        int sequence = rt.NextSequence++;
        _counters.Exits++;

        ref var d = ref _decision;
        d.LegBuffer = exitLegs;
        d.LegCount = exitLegs.Length;
        d.PositionId = rt.Id;
        d.Sequence = sequence;
        d.Underlying = rt.Underlying;
        d.Strategy = rt.Strategy;
        d.Rule = rule;
        d.Reason = reason;
        d.TimeNs = now;
        d.ContractsClosed = close;
        d.ContractsRemaining = rt.OpenUnits;
        d.ContractsOriginal = rt.OriginalUnits;
        d.UnderlyingPrice = spot;
        d.Value = value;
        d.Pnl = pnl;
        d.PnlPct = marked && v0 != 0 ? (v - v0) / Math.Abs(v0) : double.NaN;
        d.PctMaxProfit = rt.IsCredit && marked ? (v - v0) / -v0 : double.NaN;
        d.Greeks = greeks;
        d.RealizedPnl = rt.RealizedPnl;
        d.StateAfter = rt.State;
        d.LatencyNs = (long)((Stopwatch.GetTimestamp() - start) * TicksToNs);
        UpdateWake(rt);
        sink.OnExit(in _decision);
    }

    /// <summary>Position Greeks at the current spot and clock with each leg's last IV.</summary>
    /// <param name="cache">false for readers (snapshots): Greeks of stale legs are computed at the clock but not
    /// stored, so a snapshot taken between two events never changes the Greeks a later exit reports (at its own clock).</param>
    private PositionGreeks GreeksOf(PositionRuntime rt, bool cache = true)
    {
        double delta = 0, gamma = 0, theta = 0, vega = 0;
        var legs = rt.Legs;
        bool hasSpot = _quotes[rt.UnderlyingId].TryGetPrice(out double spot, out _);
        for (int i = 0; i < legs.Length; i++)
        {
            ref var leg = ref legs[i];
            double qty = (double)leg.Ratio * rt.OpenUnits * leg.Multiplier;
            if (!leg.IsOption) { delta += qty; continue; }
            if (leg.HasIv && leg.GreeksStale && hasSpot)
            {
                double t = (leg.ExpiryNs - _clock) / YearNs;
                if (t <= 0)
                {
                    if (cache) leg.HasIv = false;
                    return PositionGreeks.Unknown;
                }
                if (cache) ComputeGreeks(rt, ref leg, spot, t, _clock);
                else
                {
                    var g = LegPricing.Greeks(rt, leg, spot, t, _clock, cache: false);
                    delta += g.Delta * qty;
                    gamma += g.Gamma * qty;
                    theta += g.Theta * qty;
                    vega += g.Vega * qty;
                    continue;
                }
            }
            if (!leg.HasIv) return PositionGreeks.Unknown;
            delta += leg.Delta * qty;
            gamma += leg.Gamma * qty;
            theta += leg.Theta * qty;
            vega += leg.Vega * qty;
        }
        return new PositionGreeks(delta, gamma, theta, vega);
    }

    // thresholds: a level reached "exactly" in decimal (0.75 of max from 2.10/0.90 → 0.61/0.31) must not miss by a float ulp
    private const double Tolerance = 1e-9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AtLeast(double x, double level) => x >= level - Tolerance * Math.Max(1.0, Math.Abs(level));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AtMost(double x, double level) => x <= level + Tolerance * Math.Max(1.0, Math.Abs(level));
}
