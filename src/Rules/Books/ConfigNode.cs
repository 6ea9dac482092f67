using System.Globalization;

namespace Streamer.Rules.Books;

/// <summary>
/// A JSON or YAML value with the line it starts on, so errors can name the line. Both file
/// formats are read into this one tree (see <see cref="ConfigReader"/>); the positions and
/// books parsers only ever see this.
/// </summary>
internal sealed class ConfigNode
{
    public ConfigKind Kind { get; }
    public int Line { get; }
    public string Text { get; } = string.Empty;
    /// <summary>true for a quoted scalar (a JSON string, a quoted YAML scalar): never a number.</summary>
    public bool Quoted { get; }
    public List<ConfigEntry> Entries { get; } = [];
    public List<ConfigNode> Items { get; } = [];

    private ConfigNode(ConfigKind kind, int line, string text = "", bool quoted = false)
    {
        Kind = kind;
        Line = line;
        Text = text;
        Quoted = quoted;
    }

    public static ConfigNode Null(int line) => new(ConfigKind.Null, line);
    public static ConfigNode Scalar(int line, string text, bool quoted) => new(ConfigKind.Scalar, line, text, quoted);
    public static ConfigNode Map(int line) => new(ConfigKind.Map, line);
    public static ConfigNode Seq(int line) => new(ConfigKind.Seq, line);

    public string KindName => Kind switch
    {
        ConfigKind.Null => "null",
        ConfigKind.Scalar => Quoted ? "a string" : "a scalar",
        ConfigKind.Map => "a mapping",
        _ => "a list",
    };

    public ConfigNode? Get(string key)
    {
        foreach (var e in Entries) if (e.Key == key) return e.Value;
        return null;
    }

    public bool TryNumber(out double value)
    {
        value = double.NaN;
        if (Kind != ConfigKind.Scalar || Quoted) return false;
        return double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    public bool TryBool(out bool value)
    {
        value = false;
        if (Kind != ConfigKind.Scalar || Quoted) return false;
        if (Text is "true" or "True" or "TRUE") { value = true; return true; }
        if (Text is "false" or "False" or "FALSE") return true;
        return false;
    }
}
