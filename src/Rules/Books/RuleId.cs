namespace Streamer.Rules.Books;

/// <summary>
/// The rule catalog of rules.md, numbered in evaluation priority order (hard stops, targets,
/// time, max hold). <see cref="None"/> is zero so a default decision names no rule.
/// </summary>
public enum RuleId : byte
{
    None = 0,
    // 1. hard stops
    UnderlyingStop,
    PremiumStop,
    CreditStop,
    DeltaStop,
    Touch,
    TrailingStop,
    // 2. targets
    UnderlyingTarget,
    UnderlyingMove,
    PremiumTarget,
    ScaleOut,
    // 3. time
    DayTradeClose,
    ExpiryRisk,
    DteStop,
    // 4.
    MaxHold,
    // an operator's close now (the control API's streamer.control.close, the dashboard): never in a book
    Manual,
}
