namespace Streamer.Rules.Engine;

/// <summary>
/// How far a position is from each of its rules firing (snapshots, dashboards). A gap is positive
/// while the rule has not fired and reaches 0 at its trigger; NaN when the rule is not in the
/// position's book or the position has no price for it yet. Instants are UTC ns, long.MaxValue
/// when the rule cannot fire.
/// </summary>
public readonly record struct PositionTriggers
{
    /// <summary>underlying_stop: price distance from the underlying to the stop level, against the position.</summary>
    public double UnderlyingToStop { get; init; }
    /// <summary>underlying_target: price distance from the underlying to the target level, in its favour.</summary>
    public double UnderlyingToTarget { get; init; }
    /// <summary>premium_target (debit): target gain_pct minus the gain_pct now.</summary>
    public double GainToPremiumTarget { get; init; }
    /// <summary>premium_stop (debit): the gain_pct now minus the stop's (−loss_pct).</summary>
    public double GainToPremiumStop { get; init; }
    /// <summary>trailing_stop (debit, once active): the position's value now minus the trailing level, $.</summary>
    public double ValueToTrailingStop { get; init; }
    /// <summary>credit_stop: debit_multiple × credit minus the debit to close now, $ for the open contracts.</summary>
    public double DebitToCreditStop { get; init; }
    /// <summary>scale_out: the next tranche's level (pct_max_profit or gain_pct) and how far the position is from it.</summary>
    public double NextTrancheLevel { get; init; }
    public double ToNextTranche { get; init; }
    /// <summary>delta_stop: the largest |delta| among short option legs, and the book's limit.</summary>
    public double MaxShortDelta { get; init; }
    public double ShortDeltaLimit { get; init; }
    /// <summary>time rules: when each fires (before the session rule moves it to the next open).</summary>
    public long DayTradeCloseAtNs { get; init; }
    public long MaxHoldAtNs { get; init; }
    public long ExpiryRiskAtNs { get; init; }
    public long DteStopAtNs { get; init; }
    /// <summary>the engine's next clock event for this position (any time rule, or a deferred exit at the open).</summary>
    public long NextWakeNs { get; init; }

    // the levels themselves, for charts (the backtest's HTML report); NaN when the rule is not in the book or not armed

    /// <summary>underlying_stop / underlying_target: the underlying price each fires at.</summary>
    public double UnderlyingStopLevel { get; init; }
    public double UnderlyingTargetLevel { get; init; }
    /// <summary>The position's entry value per strategy unit (V0, $; negative for a credit).</summary>
    public double EntryValuePerUnit { get; init; }
    /// <summary>The value per strategy unit ($, the engine's sign: negative for a credit) at which each fires: premium_target, premium_stop, trailing_stop (once active), credit_stop, the next scale_out tranche.</summary>
    public double PremiumTargetValue { get; init; }
    public double PremiumStopValue { get; init; }
    public double TrailingStopValue { get; init; }
    public double CreditStopValue { get; init; }
    public double NextTrancheValue { get; init; }
}
