using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Host.Cli;

/// <summary>
/// <c>--symbols LIST|@FILE</c> and <c>--positions FILE</c>, as synth, record and fetch take them: the
/// symbols named, and every leg of every position with its underlying.
/// </summary>
internal static class SymbolArgs
{
    /// <summary>Comma-separated symbols, or <c>@file</c> with one per line (commas allowed, # comments, blank lines skipped).</summary>
    public static List<string> Parse(string command, string value)
    {
        string text = value;
        string where = "--symbols";
        if (value.StartsWith('@'))
        {
            string path = value[1..];
            if (!File.Exists(path)) throw new CliException($"streamer {command}: --symbols @{path}: file not found");
            text = File.ReadAllText(path);
            where = path;
        }
        var symbols = new List<string>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine;
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0) line = line[..hash];
            foreach (var part in line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                symbols.Add(part);
        }
        if (symbols.Count == 0) throw new CliException($"streamer {command}: {where}: no symbols");
        return symbols;
    }

    /// <summary>The positions of a positions file (JSON or YAML), with a CLI error naming the file when it cannot be read.</summary>
    public static IReadOnlyList<PositionSpec> Positions(string command, string path)
    {
        try
        {
            return PositionsFile.Parse(File.Exists(path) ? File.ReadAllText(path) : throw new CliException($"streamer {command}: --positions {path}: file not found"), path);
        }
        catch (ConfigException e)
        {
            throw new CliException($"streamer {command}: {e.Message}");
        }
    }

    /// <summary>Every leg's symbol and its underlying, added once each, in file order.</summary>
    public static void AddLegs(IReadOnlyList<PositionSpec> positions, List<string> symbols)
    {
        foreach (var p in positions)
        {
            if (!symbols.Contains(p.Underlying)) symbols.Add(p.Underlying);
            foreach (var leg in p.Legs)
                if (!symbols.Contains(leg.Symbol)) symbols.Add(leg.Symbol);
        }
    }

    /// <summary>--symbols and/or --positions (at least one), as one list without repeats.</summary>
    public static List<string> Gather(string command, CliArgs cli)
    {
        string? symbolsArg = cli.Get("symbols");
        string? positionsArg = cli.Get("positions");
        if (symbolsArg is null && positionsArg is null)
            throw new CliException($"streamer {command}: give --symbols LIST|@FILE or --positions FILE (or both)");
        var symbols = symbolsArg is null ? [] : Parse(command, symbolsArg).Distinct(StringComparer.Ordinal).ToList();
        if (positionsArg is not null) AddLegs(Positions(command, positionsArg), symbols);
        foreach (var s in symbols)
        {
            if (OccSymbol.LooksLikeOption(s))
            {
                if (!OccSymbol.TryParse(s, out _, out string error)) throw new CliException($"streamer {command}: '{PositionIds.Printable(s)}': {error}");
            }
            else if (s.Length > 16 || !s.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '.' or '/' or '-'))
            {
                throw new CliException($"streamer {command}: '{PositionIds.Printable(s)}' is not a symbol (a stock ticker in capitals, or an OCC option symbol)");
            }
        }
        return symbols;
    }
}
