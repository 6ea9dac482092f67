using System.Globalization;
using Streamer.Rules.Books;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;

namespace Streamer.Rules.Engine;

/// <summary>
/// One position as the engine evaluates it: compiled parameters, legs as structs, precomputed
/// time-rule instants and reason texts, and the mutable state (<see cref="PositionState"/>).
/// Built once on add (cold); the tick path only reads and writes its fields.
/// </summary>
internal sealed class PositionRuntime
{
    public required string Id;
    public required PositionSpec Spec;
    public required string Underlying;
    public int UnderlyingId;
    public required string Strategy;
    public BookParameters P;
    public required LegRuntime[] Legs;
    public required ExitLeg[] ExitLegs;
    public required string[] Reasons;
    public required string[] TrancheReasons;
    public double Rate;
    public double Dividend;
    public ExerciseStyle Style;
    /// <summary>The underlying's cash dividends: ex instants (the open of the ex-date, New York) ascending, and amounts.</summary>
    public long[] DividendNs = [];
    public double[] DividendAmounts = [];
    /// <summary>delta_stop runs and there is a short option leg: Greeks are recomputed on every tick, else on demand.</summary>
    public bool GreeksEveryTick;

    public long OpenedNs;               // long.MinValue: take the clock at the first evaluation
    public double UnderlyingEntry;      // NaN when unknown
    public double Stop;                 // NaN when none
    public double Target;
    /// <summary>+1: the position gains as the underlying rises (stop below: price ≤ stop); −1: the opposite; 0: unknown.</summary>
    public int Direction;

    public double EntryValuePerUnit;    // V0 per strategy unit, dollars
    public bool IsDebit;                // V0 > 0
    public bool IsCredit;               // V0 < 0

    public int TrancheCount;
    public TrancheSizes TrancheSize;
    public Tranches TrancheLevel;

    // time-rule instants (long.MaxValue: the rule cannot fire)
    public long MaxHoldNs;
    public long ExpiryRiskNs;
    public long DteNs;

    // state that survives restarts
    public int OriginalUnits;
    public int OpenUnits;
    public int TranchesFired;           // bit i: tranche i has fired
    public bool TrailActive;
    public double TrailPeakPerUnit;
    public int NextSequence = 1;
    public double RealizedPnl;
    public long FillWatermark;          // journal ordinal of the last fill that emptied the basket

    // engine bookkeeping
    public FillBasket? Basket;          // fills not yet forming whole units (null: none)
    public bool Closed;
    public bool Removed;
    /// <summary>an operator paused its rules (control API <c>pause</c>): repriced on every tick, never evaluated, no wake-ups.</summary>
    public bool Paused;
    public bool Pending;                // a rule held outside the session: evaluate again at the next open
    public long WakeNs = long.MaxValue;
    public int Slot;                    // index in the engine's position array (its wake-up entries name it)

    public PositionState State => new(OriginalUnits, OpenUnits, TranchesFired, TrailActive, TrailPeakPerUnit, NextSequence, RealizedPnl, FillWatermark, OpenedNs);

    public static PositionRuntime Create(PositionSpec spec, RuleBook book, PricingParameters pricing, SymbolTable symbols)
    {
        spec.Validate();
        var p = spec.ApplyOverrides(book);
        int n = spec.Legs.Count;
        long units = 0;
        foreach (var leg in spec.Legs) units = Gcd(units, Math.Abs(leg.Qty));
        if (units > int.MaxValue) throw new ConfigException($"position '{spec.Id}': quantities too large");
        var legs = new LegRuntime[n];
        var exitLegs = new ExitLeg[n];
        double v0 = 0;
        long earliestExpiry = long.MaxValue;
        DateOnly earliestDate = DateOnly.MaxValue;
        for (int i = 0; i < n; i++)
        {
            var s = spec.Legs[i];
            int id = symbols.Intern(s.Symbol);
            ref var leg = ref legs[i];
            leg.SymbolId = id;
            leg.Ratio = (int)(s.Qty / units);
            leg.EntryPrice = s.EntryPrice;
            leg.Mark = double.NaN;
            leg.MarkNs = long.MinValue;
            leg.Iv = double.NaN;
            leg.IvSolvedMark = double.NaN;
            leg.IvSolvedSpot = double.NaN;
            if (symbols.Option(id) is { } occ)
            {
                leg.IsOption = true;
                leg.Right = occ.Right;
                leg.Strike = occ.Strike;
                leg.Multiplier = 100;
                leg.ExpiryNs = MarketCalendar.ExpirationUtc(occ.Expiration);
                if (leg.ExpiryNs < earliestExpiry) { earliestExpiry = leg.ExpiryNs; earliestDate = occ.Expiration; }
            }
            else
            {
                leg.Multiplier = 1;
                leg.Delta = 1;   // a share moves one for one
            }
            v0 += leg.Ratio * leg.EntryPrice * leg.Multiplier;
            exitLegs[i] = new ExitLeg { Symbol = s.Symbol, SymbolId = id };
        }
        string underlying = spec.Underlying;
        var (rate, dividend) = pricing.For(underlying);
        double underlyingEntry = spec.UnderlyingEntry;
        if (double.IsNaN(underlyingEntry) && n == 1 && !legs[0].IsOption) underlyingEntry = spec.Legs[0].EntryPrice;

        var rt = new PositionRuntime
        {
            Id = spec.Id,
            Spec = spec,
            Underlying = underlying,
            UnderlyingId = symbols.Intern(underlying),
            Strategy = StrategyNames.Of(spec.Legs),
            P = p,
            Legs = legs,
            ExitLegs = exitLegs,
            Reasons = ReasonTexts.Build(p, spec.StopUnderlying, spec.TargetUnderlying, underlyingEntry),
            TrancheReasons = new string[BookParameters.MaxTranches],
            Rate = rate,
            Dividend = dividend,
            OpenedNs = spec.OpenedAtNs,
            UnderlyingEntry = underlyingEntry,
            Stop = spec.StopUnderlying,
            Target = spec.TargetUnderlying,
            EntryValuePerUnit = v0,
            IsDebit = v0 > 0,
            IsCredit = v0 < 0,
            OriginalUnits = (int)units,
            OpenUnits = (int)units,
        };
        rt.Style = StyleOf(pricing, underlying, symbols, legs);
        var dividends = pricing.DividendsFor(underlying);
        rt.DividendNs = dividends.Select(d => MarketCalendar.NewYorkToUtc(d.ExDate, MarketCalendar.RegularOpen)).ToArray();
        rt.DividendAmounts = dividends.Select(d => d.Amount).ToArray();
        if (rt.Style == ExerciseStyle.American)
        {
            for (int i = 0; i < legs.Length; i++)
            {
                if (!legs[i].IsOption) continue;
                legs[i].American = new LegAmerican();
                if (dividends.Count > 0) legs[i].Mesh = new LegMesh();
            }
        }
        rt.Direction = DirectionOf(spec, legs, underlyingEntry);
        rt.GreeksEveryTick = p.Has(RuleId.DeltaStop) && Array.Exists(legs, l => l.IsOption && l.Ratio < 0);
        if (rt.Direction == 0 && ((p.Has(RuleId.UnderlyingStop) && !double.IsNaN(rt.Stop)) || (p.Has(RuleId.UnderlyingTarget) && !double.IsNaN(rt.Target))))
            throw new ConfigException($"position '{spec.Id}': cannot tell which side stop_underlying/target_underlying guard ({rt.Strategy} gains on neither side); give underlying_entry or both levels");
        if (p.Has(RuleId.UnderlyingMove) && double.IsNaN(underlyingEntry))
            throw new ConfigException($"position '{spec.Id}': book '{book.Name}' runs underlying_move, which needs underlying_entry");

        rt.RecomputeScaleOut();
        rt.RecomputeTimeInstants(earliestExpiry, earliestDate);
        return rt;
    }

    /// <summary>
    /// The books file's style for the underlying, else European when the underlying or any option
    /// leg's root is a cash-settled index root (<see cref="ExerciseStyles"/>: SPXW options on SPX), else American.
    /// </summary>
    private static ExerciseStyle StyleOf(PricingParameters pricing, string underlying, SymbolTable symbols, LegRuntime[] legs)
    {
        if (pricing.HasStyle(underlying)) return pricing.StyleFor(underlying);
        if (ExerciseStyles.DefaultFor(underlying) == ExerciseStyle.European) return ExerciseStyle.European;
        foreach (var leg in legs)
        {
            if (leg.IsOption && symbols.Option(leg.SymbolId) is { } occ && ExerciseStyles.DefaultFor(occ.Root) == ExerciseStyle.European)
                return ExerciseStyle.European;
        }
        return ExerciseStyle.American;
    }

    /// <summary>The scale-out tranches for the current original size (on add, and when a fill grows the position).</summary>
    public void RecomputeScaleOut()
    {
        Span<int> sizes = stackalloc int[BookParameters.MaxTranches];
        Span<double> levels = stackalloc double[BookParameters.MaxTranches];
        TrancheCount = ScaleOutPlan.Compute(OriginalUnits, P, sizes, levels);
        for (int i = 0; i < TrancheCount; i++)
        {
            TrancheSize[i] = sizes[i];
            TrancheLevel[i] = levels[i];
            TrancheReasons[i] = ReasonTexts.Tranche(levels[i], IsCredit);
        }
    }

    /// <summary>the earliest leg's expiration (16:00 New York) and date: the time rules are computed from them.</summary>
    public long EarliestExpiryNs = long.MaxValue;
    public DateOnly EarliestExpiryDate = DateOnly.MaxValue;

    public void RecomputeTimeInstants(long earliestExpiryNs, DateOnly earliestDate)
    {
        EarliestExpiryNs = earliestExpiryNs;
        EarliestExpiryDate = earliestDate;
        MaxHoldNs = P.Has(RuleId.MaxHold) && OpenedNs != long.MinValue ? OpenedNs + P.MaxHoldMinutes * NanoTime.PerMinute : long.MaxValue;
        ExpiryRiskNs = P.Has(RuleId.ExpiryRisk) && earliestExpiryNs != long.MaxValue
            ? earliestExpiryNs - (long)Math.Round(P.ExpiryRiskHours * NanoTime.PerHour)
            : long.MaxValue;
        // DTE ≤ dte from 00:00 New York of (expiration − dte days)
        long absolute = P.Has(RuleId.DteStop) && P.Dte != BookParameters.DteOff && earliestDate != DateOnly.MaxValue
            ? MarketCalendar.NewYorkToUtc(earliestDate.AddDays(-P.Dte), TimeOnly.MinValue)
            : long.MaxValue;
        // initial_fraction F: the time left to expiration (16:00 New York) is F × what it was at open, in continuous
        // time (a 45-DTE trade at 0.47 stops at 21.15 DTE, a 14-DTE one at 6.58); whichever of the two comes first
        long relative = long.MaxValue;
        if (P.Has(RuleId.DteStop)) Reasons[(int)RuleId.DteStop] = ReasonTexts.DteAbsolute(P.Dte);
        if (P.Has(RuleId.DteStop) && !double.IsNaN(P.DteInitialFraction) && OpenedNs != long.MinValue && earliestExpiryNs != long.MaxValue && earliestExpiryNs > OpenedNs)
        {
            long span = earliestExpiryNs - OpenedNs;
            relative = earliestExpiryNs - (long)Math.Round(P.DteInitialFraction * span);
            if (relative < absolute)
                Reasons[(int)RuleId.DteStop] = ReasonTexts.DteFraction(P.DteInitialFraction, span / (double)NanoTime.PerDay);
        }
        DteNs = Math.Min(absolute, relative);
    }

    /// <summary>Sets the clock-derived opened_at of a position given without one.</summary>
    public void SetOpenedAt(long nowNs)
    {
        OpenedNs = nowNs;
        if (P.Has(RuleId.MaxHold)) MaxHoldNs = nowNs + P.MaxHoldMinutes * NanoTime.PerMinute;
        if (P.Has(RuleId.DteStop) && !double.IsNaN(P.DteInitialFraction)) RecomputeTimeInstants(EarliestExpiryNs, EarliestExpiryDate); // the DTE at open is measured from here
    }

    /// <summary>Slope of the expiration payoff: does the position gain when the underlying rises?</summary>
    private static int DirectionOf(PositionSpec spec, LegRuntime[] legs, double underlyingEntry)
    {
        double lo = double.MaxValue, hi = 0;
        foreach (var leg in legs)
        {
            if (leg.IsOption) { lo = Math.Min(lo, leg.Strike); hi = Math.Max(hi, leg.Strike); }
        }
        if (hi == 0) { lo = hi = double.IsNaN(underlyingEntry) ? 100 : underlyingEntry; }
        double sLo = lo * 0.5, sHi = hi * 1.5;
        double slope = Payoff(legs, sHi) - Payoff(legs, sLo);
        if (Math.Abs(slope) > 1e-9) return Math.Sign(slope);
        // neutral shapes (iron condor, straddle): the levels say which side they guard
        double stop = spec.StopUnderlying, target = spec.TargetUnderlying;
        if (!double.IsNaN(stop) && !double.IsNaN(target) && stop != target) return stop < target ? 1 : -1;
        if (!double.IsNaN(underlyingEntry))
        {
            if (!double.IsNaN(stop) && stop != underlyingEntry) return stop < underlyingEntry ? 1 : -1;
            if (!double.IsNaN(target) && target != underlyingEntry) return target > underlyingEntry ? 1 : -1;
        }
        return 0;
    }

    private static double Payoff(LegRuntime[] legs, double s)
    {
        double v = 0;
        foreach (var leg in legs)
        {
            double perShare = !leg.IsOption ? s : leg.Right == OptionRight.Call ? Math.Max(s - leg.Strike, 0) : Math.Max(leg.Strike - s, 0);
            v += leg.Ratio * perShare * leg.Multiplier;
        }
        return v;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id} {Strategy} {OpenUnits}/{OriginalUnits}");
}
