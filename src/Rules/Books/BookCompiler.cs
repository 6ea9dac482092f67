using System.Globalization;
using Streamer.Rules.Time;

namespace Streamer.Rules.Books;

/// <summary>
/// Turns a book's (or a position's overrides') YAML/JSON into <see cref="BookParameters"/>.
/// Every unknown rule, unknown parameter or bad value is an error naming the line and the path.
/// </summary>
internal static class BookCompiler
{
    /// <summary>Applies a book body: <c>mark</c>, <c>stale_after</c>, <c>rules: { rule: {params} }</c>.</summary>
    public static void ApplyBook(ref BookParameters p, ConfigNode book, string source, string path)
    {
        ExpectMap(book, source, path);
        foreach (var e in book.Entries)
        {
            string at = $"{path}.{e.Key}";
            switch (e.Key)
            {
                case "mark": p.Mark = ParseMark(e.Value, source, at); break;
                case "stale_after": p.StaleAfterNs = ParseDuration(e.Value, source, at); break;
                case "rules":
                    if (e.Value.Kind == ConfigKind.Null) break;
                    ExpectMap(e.Value, source, at);
                    foreach (var r in e.Value.Entries) ApplyRule(ref p, r, source, $"{at}.{r.Key}");
                    break;
                case "description": break;
                default:
                    throw Error(source, e.Line, at, $"unknown book setting '{e.Key}' (expected mark, stale_after, rules)");
            }
        }
        Validate(in p, source, book.Line, path);
    }

    /// <summary>
    /// Applies a position's <c>overrides</c>: keys are rule names (their parameters; a rule the
    /// book lacks is switched on, <c>false</c> switches one off) or <c>mark</c> / <c>stale_after</c>.
    /// </summary>
    public static void ApplyOverrides(ref BookParameters p, ConfigNode overrides, string source, string path)
    {
        if (overrides.Kind == ConfigKind.Null) return;
        ExpectMap(overrides, source, path);
        foreach (var e in overrides.Entries)
        {
            string at = $"{path}.{e.Key}";
            if (e.Key == "mark") p.Mark = ParseMark(e.Value, source, at);
            else if (e.Key == "stale_after") p.StaleAfterNs = ParseDuration(e.Value, source, at);
            else ApplyRule(ref p, e, source, at);
        }
        Validate(in p, source, overrides.Line, path);
    }

    private static void ApplyRule(ref BookParameters p, ConfigEntry entry, string source, string at)
    {
        if (!RuleNames.TryParse(entry.Key, out var rule))
            throw Error(source, entry.Line, at, $"unknown rule '{entry.Key}' (known: {string.Join(", ", RuleNames.All)})");
        var body = entry.Value;
        if (body.TryBool(out bool on))
        {
            if (on) p.Rules |= rule.Bit(); else p.Rules &= ~rule.Bit();
            return;
        }
        p.Rules |= rule.Bit();
        if (body.Kind == ConfigKind.Null) return;
        ExpectMap(body, source, at);
        if (rule == RuleId.ScaleOut)
        {
            ApplyScaleOut(ref p, body, source, at);
            return;
        }
        foreach (var e in body.Entries)
        {
            string pat = $"{at}.{e.Key}";
            var v = e.Value;
            switch (rule, e.Key)
            {
                case (RuleId.UnderlyingMove, "up_pct"): p.UpPct = NonNegative(v, source, pat); break;
                case (RuleId.UnderlyingMove, "down_pct"): p.DownPct = Fraction(v, source, pat); break;
                case (RuleId.PremiumStop, "loss_pct"): p.LossPct = Fraction(v, source, pat); break;
                case (RuleId.PremiumTarget, "gain_pct"): p.GainPct = NonNegative(v, source, pat); break;
                case (RuleId.TrailingStop, "activate_gain_pct"): p.ActivateGainPct = NonNegative(v, source, pat); break;
                case (RuleId.TrailingStop, "trail_pct"): p.TrailPct = Fraction(v, source, pat); break;
                case (RuleId.CreditStop, "debit_multiple"): p.DebitMultiple = Positive(v, source, pat); break;
                case (RuleId.DeltaStop, "short_delta"): p.ShortDelta = Fraction(v, source, pat); break;
                case (RuleId.Touch, "distance"): p.TouchDistance = NonNegative(v, source, pat); break;
                case (RuleId.DteStop, "dte"): p.Dte = Integer(v, source, pat, 0, 10_000); break;
                case (RuleId.DteStop, "initial_fraction"): p.DteInitialFraction = Fraction(v, source, pat); break;
                case (RuleId.DayTradeClose, "minutes_before_close"): p.MinutesBeforeClose = Integer(v, source, pat, 0, 390); break;
                case (RuleId.MaxHold, "minutes"): p.MaxHoldMinutes = Integer(v, source, pat, 1, 10_000_000); break;
                case (RuleId.ExpiryRisk, "hours"): p.ExpiryRiskHours = NonNegative(v, source, pat); break;
                default:
                    throw Error(source, e.Line, pat, $"unknown parameter '{e.Key}' for rule {rule.Name()}{KnownParameters(rule)}");
            }
        }
        // initial_fraction alone is the relative form only; with dte too, whichever comes first
        if (rule == RuleId.DteStop && body.Get("initial_fraction") is not null && body.Get("dte") is null) p.Dte = BookParameters.DteOff;
    }

    private static void ApplyScaleOut(ref BookParameters p, ConfigNode body, string source, string at)
    {
        ConfigNode? levels = null, fractions = null;
        foreach (var e in body.Entries)
        {
            string pat = $"{at}.{e.Key}";
            switch (e.Key)
            {
                case "min_contracts": p.MinContracts = Integer(e.Value, source, pat, 1, 1_000_000); break;
                case "single_exit_level": p.SingleExitLevel = NonNegative(e.Value, source, pat); break;
                case "levels": levels = e.Value; break;
                case "fractions": fractions = e.Value; break;
                default: throw Error(source, e.Line, pat, $"unknown parameter '{e.Key}' for rule scale_out{KnownParameters(RuleId.ScaleOut)}");
            }
        }
        if (levels is not null)
        {
            var items = List(levels, source, $"{at}.levels", 1, BookParameters.MaxTranches);
            p.TrancheCount = items.Count;
            for (int i = 0; i < items.Count; i++) p.Levels[i] = NonNegative(items[i], source, $"{at}.levels[{i}]");
            for (int i = 1; i < items.Count; i++)
            {
                if (!(p.Levels[i] > p.Levels[i - 1])) throw Error(source, levels.Line, $"{at}.levels", "levels must be strictly ascending");
            }
            p.Fractions = default;
            for (int i = 0; i < items.Count - 1; i++) p.Fractions[i] = DefaultFraction(items.Count, i);
        }
        if (fractions is not null)
        {
            var items = List(fractions, source, $"{at}.fractions", 0, BookParameters.MaxTranches - 1);
            if (items.Count != p.TrancheCount - 1)
                throw Error(source, fractions.Line, $"{at}.fractions", $"expected {p.TrancheCount - 1} fractions (one per level but the last, which takes the remainder), got {items.Count}");
            double sum = 0;
            for (int i = 0; i < items.Count; i++) sum += p.Fractions[i] = Fraction(items[i], source, $"{at}.fractions[{i}]");
            if (sum > 1 + 1e-12)
                throw Error(source, fractions.Line, $"{at}.fractions", $"fractions sum to {sum.ToString(CultureInfo.InvariantCulture)}, more than 1");
        }
    }

    private static double DefaultFraction(int count, int i) => count switch
    {
        3 => 0.4,           // rules.md: 40 / 40 / remainder
        _ => 1.0 / count,
    };

    private static string KnownParameters(RuleId rule) => rule switch
    {
        RuleId.UnderlyingMove => " (known: up_pct, down_pct)",
        RuleId.PremiumStop => " (known: loss_pct)",
        RuleId.PremiumTarget => " (known: gain_pct)",
        RuleId.TrailingStop => " (known: activate_gain_pct, trail_pct)",
        RuleId.CreditStop => " (known: debit_multiple)",
        RuleId.DeltaStop => " (known: short_delta)",
        RuleId.Touch => " (known: distance)",
        RuleId.ScaleOut => " (known: min_contracts, levels, fractions, single_exit_level)",
        RuleId.DteStop => " (known: dte, initial_fraction)",
        RuleId.DayTradeClose => " (known: minutes_before_close)",
        RuleId.MaxHold => " (known: minutes)",
        RuleId.ExpiryRisk => " (known: hours)",
        _ => " (it takes no parameters)",
    };

    private static void Validate(in BookParameters p, string source, int line, string path)
    {
        if (p.Has(RuleId.MaxHold) && p.MaxHoldMinutes <= 0)
            throw Error(source, line, $"{path}.max_hold", "max_hold needs 'minutes' (there is no default)");
        if (p.Has(RuleId.UnderlyingMove) && double.IsNaN(p.UpPct) && double.IsNaN(p.DownPct))
            throw Error(source, line, $"{path}.underlying_move", "underlying_move needs 'up_pct' or 'down_pct' (there is no default)");
    }

    internal static MarkMode ParseMark(ConfigNode v, string source, string at) => v.Kind == ConfigKind.Scalar ? v.Text switch
    {
        "mid" => MarkMode.Mid,
        "conservative" => MarkMode.Conservative,
        "last" => MarkMode.Last,
        _ => throw Error(source, v.Line, at, $"unknown mark '{v.Text}' (expected mid, conservative or last)"),
    } : throw Error(source, v.Line, at, $"expected mid, conservative or last, got {v.KindName}");

    /// <summary>Seconds as a number, or a string with a unit: <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>.</summary>
    internal static long ParseDuration(ConfigNode v, string source, string at)
    {
        if (v.TryNumber(out double seconds))
        {
            if (seconds <= 0) throw Error(source, v.Line, at, "must be positive");
            return (long)Math.Round(seconds * NanoTime.PerSecond);
        }
        if (v.Kind == ConfigKind.Scalar)
        {
            var t = v.Text.AsSpan().Trim();
            (string unit, long scale)[] units = [("ms", NanoTime.PerSecond / 1000), ("s", NanoTime.PerSecond), ("m", NanoTime.PerMinute), ("h", NanoTime.PerHour)];
            foreach (var (unit, scale) in units)
            {
                if (t.EndsWith(unit, StringComparison.Ordinal) &&
                    double.TryParse(t[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0 && double.IsFinite(n))
                    return (long)Math.Round(n * scale);
            }
        }
        throw Error(source, v.Line, at, $"expected a duration such as 30, \"30s\", \"500ms\" or \"2m\", got '{v.Text}'");
    }

    private static double Number(ConfigNode v, string source, string at)
    {
        if (v.TryNumber(out double d)) return d;
        throw Error(source, v.Line, at, v.Kind == ConfigKind.Scalar ? $"expected a number, got '{v.Text}'" : $"expected a number, got {v.KindName}");
    }

    private static double NonNegative(ConfigNode v, string source, string at)
    {
        double d = Number(v, source, at);
        return d >= 0 ? d : throw Error(source, v.Line, at, $"must be ≥ 0, got {v.Text}");
    }

    private static double Positive(ConfigNode v, string source, string at)
    {
        double d = Number(v, source, at);
        return d > 0 ? d : throw Error(source, v.Line, at, $"must be > 0, got {v.Text}");
    }

    private static double Fraction(ConfigNode v, string source, string at)
    {
        double d = Number(v, source, at);
        return d is > 0 and <= 1 ? d : throw Error(source, v.Line, at, $"must be a fraction in (0, 1], got {v.Text}");
    }

    private static int Integer(ConfigNode v, string source, string at, int min, int max)
    {
        double d = Number(v, source, at);
        if (d != Math.Floor(d) || d < min || d > max)
            throw Error(source, v.Line, at, $"must be a whole number from {min} to {max}, got {v.Text}");
        return (int)d;
    }

    private static List<ConfigNode> List(ConfigNode v, string source, string at, int min, int max)
    {
        if (v.Kind != ConfigKind.Seq) throw Error(source, v.Line, at, $"expected a list, got {v.KindName}");
        if (v.Items.Count < min || v.Items.Count > max) throw Error(source, v.Line, at, $"expected {min} to {max} values, got {v.Items.Count}");
        return v.Items;
    }

    internal static void ExpectMap(ConfigNode v, string source, string at)
    {
        if (v.Kind != ConfigKind.Map) throw Error(source, v.Line, at, $"expected a mapping, got {v.KindName}");
    }

    internal static ConfigException Error(string source, int line, string at, string problem) =>
        new($"{source}: line {line}: {at}: {problem}");
}
