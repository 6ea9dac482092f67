namespace Streamer.Stream.Host.Cli;

/// <summary>
/// The small option grammar every command shares: <c>--name value</c>, <c>--name=value</c>
/// and bare <c>--flag</c>. Unknown options are an error naming them, so a typo never runs
/// a backtest on defaults.
/// </summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public string Command { get; }

    private CliArgs(string command) => Command = command;

    /// <param name="flags">options that take no value</param>
    public static CliArgs Parse(string command, string[] args, params string[] flags)
    {
        var parsed = new CliArgs(command);
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new CliException($"streamer {command}: unexpected argument '{a}'");
            var name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (!flags.Contains(name))
            {
                if (i + 1 >= args.Length) throw new CliException($"streamer {command}: option --{name} needs a value");
                value = args[++i];
            }
            parsed._options[name] = value;
        }
        return parsed;
    }

    public bool Has(string name) { _read.Add(name); return _options.ContainsKey(name); }

    public string? Get(string name) { _read.Add(name); return _options.GetValueOrDefault(name); }

    public string Require(string name) =>
        Get(name) ?? throw new CliException($"streamer {Command}: missing required option --{name}");

    public int GetInt(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out int n)
            ? n : throw new CliException($"streamer {Command}: --{name} must be a whole number, got '{v}'");
    }

    public double GetDouble(string name, double fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)
            ? d : throw new CliException($"streamer {Command}: --{name} must be a number, got '{v}'");
    }

    /// <summary>Call after reading every option: anything left was not understood.</summary>
    public void RejectUnknown()
    {
        foreach (var k in _options.Keys)
            if (!_read.Contains(k)) throw new CliException($"streamer {Command}: unknown option --{k}");
    }
}
