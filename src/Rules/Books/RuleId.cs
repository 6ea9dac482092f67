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
}

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

public static class RuleNames
{
    private static readonly string[] Names =
    [
        "none", "underlying_stop", "premium_stop", "credit_stop", "delta_stop", "touch", "trailing_stop",
        "underlying_target", "underlying_move", "premium_target", "scale_out",
        "day_trade_close", "expiry_risk", "dte_stop", "max_hold",
    ];

    /// <summary>The snake_case name used in books files and exit events (a static string: no allocation).</summary>
    public static string Name(this RuleId rule) => Names[(int)rule];

    public static RuleSet Bit(this RuleId rule) => (RuleSet)(1u << (int)rule);

    public static bool TryParse(string name, out RuleId rule)
    {
        for (int i = 1; i < Names.Length; i++)
        {
            if (Names[i] == name) { rule = (RuleId)i; return true; }
        }
        rule = RuleId.None;
        return false;
    }

    public static IReadOnlyList<string> All => Names.AsSpan(1).ToArray();
}
