namespace Streamer.Rules.Books;

public static class RuleNames
{
    private static readonly string[] Names =
    [
        "none", "underlying_stop", "premium_stop", "credit_stop", "delta_stop", "touch", "trailing_stop",
        "underlying_target", "underlying_move", "premium_target", "scale_out",
        "day_trade_close", "expiry_risk", "dte_stop", "max_hold", "manual",
    ];

    /// <summary>The last rule a book may name: <see cref="RuleId.Manual"/> after it is the operator's, not a rule.</summary>
    private const int LastConfigurable = (int)RuleId.MaxHold;

    /// <summary>The snake_case name used in books files and exit events (a static string: no allocation).</summary>
    public static string Name(this RuleId rule) => Names[(int)rule];

    public static RuleSet Bit(this RuleId rule) => (RuleSet)(1u << (int)rule);

    /// <summary>A rule a book may configure (<see cref="RuleId.Manual"/> is not: it is an operator's close).</summary>
    public static bool IsConfigurable(this RuleId rule) => rule is > RuleId.None and <= (RuleId)LastConfigurable;

    /// <summary>A rule books and sweep grids may name; <c>manual</c> is not one of them.</summary>
    public static bool TryParse(string name, out RuleId rule)
    {
        for (int i = 1; i <= LastConfigurable; i++)
        {
            if (Names[i] == name) { rule = (RuleId)i; return true; }
        }
        rule = RuleId.None;
        return false;
    }

    /// <summary>The rules a book may name.</summary>
    public static IReadOnlyList<string> All => Names.AsSpan(1, LastConfigurable).ToArray();
}
