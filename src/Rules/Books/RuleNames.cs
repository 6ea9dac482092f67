namespace Streamer.Rules.Books;

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
