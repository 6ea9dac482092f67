namespace Streamer.Rules.Books;

/// <summary>Enabled rules of a book as bits (1 &lt;&lt; RuleId): the evaluator tests bits, no dispatch per rule.</summary>
[Flags]
public enum RuleSet : uint
{
    None = 0,
    UnderlyingStop = 1u << RuleId.UnderlyingStop,
    PremiumStop = 1u << RuleId.PremiumStop,
    CreditStop = 1u << RuleId.CreditStop,
    DeltaStop = 1u << RuleId.DeltaStop,
    Touch = 1u << RuleId.Touch,
    TrailingStop = 1u << RuleId.TrailingStop,
    UnderlyingTarget = 1u << RuleId.UnderlyingTarget,
    UnderlyingMove = 1u << RuleId.UnderlyingMove,
    PremiumTarget = 1u << RuleId.PremiumTarget,
    ScaleOut = 1u << RuleId.ScaleOut,
    DayTradeClose = 1u << RuleId.DayTradeClose,
    ExpiryRisk = 1u << RuleId.ExpiryRisk,
    DteStop = 1u << RuleId.DteStop,
    MaxHold = 1u << RuleId.MaxHold,
}
