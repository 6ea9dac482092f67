using System.Globalization;

namespace Streamer.Rules.Positions;

/// <summary>
/// Ids that come from outside (a position's, a fill's, an exit's) end up in logs, alerts, exit ids
/// (<c>&lt;position&gt;:&lt;seq&gt;</c>, also the JetStream <c>Nats-Msg-Id</c>) and a terminal. So an id
/// is 1-128 characters of printable text: no control characters (NUL, newlines, ANSI escapes), no
/// invisible format characters (RTL overrides, zero-width joiners), no unpaired surrogates, no
/// leading or trailing space. Anything else is refused naming the first bad character, never
/// cleaned up silently (two different ids must not become one).
/// </summary>
public static class PositionIds
{
    public const int MaxLength = 128;

    /// <summary>
    /// A position's id: printable (<see cref="CheckText"/>), and no ':' or white space, since its exit
    /// ids are <c>&lt;id&gt;:&lt;sequence&gt;</c>. null when acceptable; otherwise why not.
    /// </summary>
    public static string? Check(string id)
    {
        if (CheckText(id) is { } error) return error;
        for (int i = 0; i < id.Length; i++)
            if (id[i] == ':' || char.IsWhiteSpace(id[i])) return $"must not contain ':' or white space (character {i + 1}): exit ids are '<id>:<sequence>'";
        return null;
    }

    /// <summary>Any other outside id (a fill's, an exit's): printable text. null when acceptable; otherwise why not (without echoing the bad characters).</summary>
    public static string? CheckText(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0) return "must not be empty";
        if (id.Length > MaxLength) return $"is {id.Length} characters; at most {MaxLength}";
        if (char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1])) return "must not start or end with white space";
        for (int i = 0; i < id.Length; i++)
        {
            char c = id[i];
            if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1]))
            {
                i++;
                continue;
            }
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
                return $"has a {Describe(category)} (U+{(int)c:X4}) at character {i + 1}: ids are printable text";
        }
        return null;
    }

    private static string Describe(UnicodeCategory category) => category switch
    {
        UnicodeCategory.Control => "control character",
        UnicodeCategory.Format => "invisible format character",
        UnicodeCategory.Surrogate => "broken surrogate (not valid UTF-16)",
        UnicodeCategory.OtherNotAssigned => "unassigned character",
        _ => "line or paragraph separator",
    };

    /// <summary>
    /// <paramref name="text"/> fit to echo in a log line or an alert: control and format characters
    /// shown as <c>\uXXXX</c>, cut to <paramref name="max"/> characters with the length said.
    /// </summary>
    public static string Printable(string text, int max = MaxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool clean = text.Length <= max;
        if (clean)
            foreach (char c in text)
                if (char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
                {
                    clean = false;
                    break;
                }
        if (clean) return text;
        var b = new System.Text.StringBuilder(Math.Min(text.Length, max) + 24);
        int n = Math.Min(text.Length, max);
        for (int i = 0; i < n; i++)
        {
            char c = text[i];
            if (char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
                b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else b.Append(c);
        }
        if (text.Length > max) b.Append(CultureInfo.InvariantCulture, $"… ({text.Length} characters)");
        return b.ToString();
    }
}
