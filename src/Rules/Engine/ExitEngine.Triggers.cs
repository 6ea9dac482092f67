using Streamer.Rules.Books;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Engine;

public sealed partial class ExitEngine
{
    /// <summary>
    /// How far the position is from each rule (cold, read-only: nothing the engine caches changes, so
    /// asking never alters a later decision). False when the id is unknown.
    /// </summary>
    public bool TryGetTriggers(string id, out PositionTriggers triggers)
    {
        triggers = default;
        if (!_byId.TryGetValue(id, out int index)) return false;
        var rt = _positions[index];
        ref readonly var p = ref rt.P;
        long now = _clock;
        Value(rt, now, out double v, out bool marked, out _);
        bool hasSpot = _quotes[rt.UnderlyingId].TryGetPrice(out double spot, out _);
        double v0 = rt.EntryValuePerUnit;
        double pct = marked && v0 != 0 ? (v - v0) / Math.Abs(v0) : double.NaN;
        double nan = double.NaN;

        double toStop = nan, toTarget = nan;
        if (hasSpot && rt.Direction != 0)
        {
            if (p.Has(RuleId.UnderlyingStop) && !double.IsNaN(rt.Stop)) toStop = rt.Direction > 0 ? spot - rt.Stop : rt.Stop - spot;
            if (p.Has(RuleId.UnderlyingTarget) && !double.IsNaN(rt.Target)) toTarget = rt.Direction > 0 ? rt.Target - spot : spot - rt.Target;
        }

        double nextLevel = nan, toNext = nan;
        if (p.Has(RuleId.ScaleOut) && marked)
        {
            for (int i = 0; i < rt.TrancheCount; i++)
            {
                if ((rt.TranchesFired & (1 << i)) != 0) continue;
                nextLevel = rt.TrancheLevel[i];
                toNext = nextLevel - pct;
                break;
            }
        }

        double maxShortDelta = nan;
        if (p.Has(RuleId.DeltaStop) && hasSpot)
        {
            foreach (ref readonly var leg in rt.Legs.AsSpan())
            {
                if (!leg.IsOption || leg.Ratio >= 0 || !leg.HasIv) continue;
                double delta = leg.Delta;
                if (leg.GreeksStale)
                {
                    double t = (leg.ExpiryNs - now) / YearNs;
                    if (t <= 0) continue;
                    delta = LegPricing.Greeks(rt, leg, spot, t, now, cache: false).Delta;
                }
                maxShortDelta = double.IsNaN(maxShortDelta) ? Math.Abs(delta) : Math.Max(maxShortDelta, Math.Abs(delta));
            }
        }

        long dayTradeClose = long.MaxValue;
        if (p.Has(RuleId.DayTradeClose) && now != long.MinValue)
            dayTradeClose = _calendar.NextSessionCloseAfter(now) - p.MinutesBeforeClose * Time.NanoTime.PerMinute;

        triggers = new PositionTriggers
        {
            UnderlyingToStop = toStop,
            UnderlyingToTarget = toTarget,
            GainToPremiumTarget = p.Has(RuleId.PremiumTarget) && rt.IsDebit ? p.GainPct - pct : nan,
            GainToPremiumStop = p.Has(RuleId.PremiumStop) && rt.IsDebit ? pct + p.LossPct : nan,
            ValueToTrailingStop = p.Has(RuleId.TrailingStop) && rt.IsDebit && rt.TrailActive && marked
                ? (v - rt.TrailPeakPerUnit * (1 - p.TrailPct)) * rt.OpenUnits : nan,
            DebitToCreditStop = p.Has(RuleId.CreditStop) && rt.IsCredit && marked ? (p.DebitMultiple * -v0 - -v) * rt.OpenUnits : nan,
            NextTrancheLevel = nextLevel,
            ToNextTranche = toNext,
            MaxShortDelta = maxShortDelta,
            ShortDeltaLimit = p.Has(RuleId.DeltaStop) ? p.ShortDelta : nan,
            DayTradeCloseAtNs = dayTradeClose,
            MaxHoldAtNs = rt.MaxHoldNs,
            ExpiryRiskAtNs = rt.ExpiryRiskNs,
            DteStopAtNs = rt.DteNs,
            NextWakeNs = rt.Closed ? long.MaxValue : rt.WakeNs,
            UnderlyingStopLevel = p.Has(RuleId.UnderlyingStop) ? rt.Stop : nan,
            UnderlyingTargetLevel = p.Has(RuleId.UnderlyingTarget) ? rt.Target : nan,
            EntryValuePerUnit = v0,
            PremiumTargetValue = p.Has(RuleId.PremiumTarget) && rt.IsDebit ? v0 + p.GainPct * Math.Abs(v0) : nan,
            PremiumStopValue = p.Has(RuleId.PremiumStop) && rt.IsDebit ? v0 - p.LossPct * Math.Abs(v0) : nan,
            TrailingStopValue = p.Has(RuleId.TrailingStop) && rt.IsDebit && rt.TrailActive ? rt.TrailPeakPerUnit * (1 - p.TrailPct) : nan,
            CreditStopValue = p.Has(RuleId.CreditStop) && rt.IsCredit ? p.DebitMultiple * v0 : nan,
            NextTrancheValue = NextTrancheValueOf(rt, p.Has(RuleId.ScaleOut)),
        };
        return true;
    }

    /// <summary>The value per unit at which the first tranche not fired yet fires (NaN when none is left or the book has no scale_out).</summary>
    private static double NextTrancheValueOf(PositionRuntime rt, bool scaleOut)
    {
        if (!scaleOut || rt.EntryValuePerUnit == 0) return double.NaN;
        for (int i = 0; i < rt.TrancheCount; i++)
        {
            if ((rt.TranchesFired & (1 << i)) == 0) return rt.EntryValuePerUnit + rt.TrancheLevel[i] * Math.Abs(rt.EntryValuePerUnit);
        }
        return double.NaN;
    }
}
