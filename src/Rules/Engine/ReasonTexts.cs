using System.Globalization;
using Streamer.Rules.Books;

namespace Streamer.Rules.Engine;

/// <summary>
/// The human reason of each rule for one position, built once when the position is added (the
/// parameters are known then), so an exit picks a string from a table and allocates nothing.
/// </summary>
internal static class ReasonTexts
{
    public static string[] Build(in BookParameters p, double stop, double target, double underlyingEntry)
    {
        var c = CultureInfo.InvariantCulture;
        var r = new string[(int)RuleId.Manual + 1];
        r[(int)RuleId.None] = "";
        r[(int)RuleId.UnderlyingStop] = string.Create(c, $"Underlying stop hit ({stop:0.00})");
        r[(int)RuleId.UnderlyingTarget] = string.Create(c, $"Underlying target hit ({target:0.00})");
        r[(int)RuleId.UnderlyingMove] = string.Create(c, $"Underlying moved {Move(p)} from entry {underlyingEntry:0.00}");
        r[(int)RuleId.PremiumStop] = $"Premium stop (-{Pct(p.LossPct)})";
        r[(int)RuleId.PremiumTarget] = $"Premium target (+{Pct(p.GainPct)})";
        r[(int)RuleId.TrailingStop] = $"Trailing stop ({Pct(p.TrailPct)} off peak)";
        r[(int)RuleId.CreditStop] = $"Loss stop (debit to close ≥ {Pct(p.DebitMultiple)} of credit)";
        r[(int)RuleId.DeltaStop] = string.Create(c, $"Delta stop (short delta ≥ {p.ShortDelta:0.00})");
        r[(int)RuleId.Touch] = p.TouchDistance > 0 ? string.Create(c, $"Short strike touched (within {p.TouchDistance:0.00})") : "Short strike touched";
        r[(int)RuleId.ScaleOut] = "Profit target";
        r[(int)RuleId.DayTradeClose] = string.Create(c, $"Day trade must close ({p.MinutesBeforeClose} min before the close)");
        r[(int)RuleId.ExpiryRisk] = string.Create(c, $"Options expiring soon (≤ {p.ExpiryRiskHours:0.##} h)");
        r[(int)RuleId.DteStop] = DteAbsolute(p.Dte);
        r[(int)RuleId.MaxHold] = string.Create(c, $"Max hold time exceeded ({p.MaxHoldMinutes} min)");
        r[(int)RuleId.Manual] = "Closed by the operator";
        return r;
    }

    /// <summary>"Time stop (21 DTE)": dte_stop's absolute form.</summary>
    public static string DteAbsolute(int dte) => string.Create(CultureInfo.InvariantCulture, $"Time stop ({dte} DTE)");

    /// <summary>"Time stop (0.47 of the 45.0 DTE at open: 21.2 DTE)": dte_stop's initial_fraction form.</summary>
    public static string DteFraction(double fraction, double dteAtOpen) =>
        string.Create(CultureInfo.InvariantCulture, $"Time stop ({fraction:0.##} of the {dteAtOpen:0.0} DTE at open: {fraction * dteAtOpen:0.0} DTE)");

    /// <summary>"Profit target (75% of max)" for credit positions, "Profit target (+50% gain)" for debit ones.</summary>
    public static string Tranche(double level, bool credit) =>
        credit ? $"Profit target ({Pct(level)} of max)" : $"Profit target (+{Pct(level)} gain)";

    private static string Move(in BookParameters p)
    {
        bool up = !double.IsNaN(p.UpPct), down = !double.IsNaN(p.DownPct);
        return up && down ? $"+{Pct(p.UpPct)}/-{Pct(p.DownPct)}" : up ? $"+{Pct(p.UpPct)}" : $"-{Pct(p.DownPct)}";
    }

    private static string Pct(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
