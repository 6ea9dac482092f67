using System.Globalization;
using Streamer.Feed.Synth;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;
using Streamer.Stream.Host.Cli;
namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer synth --out T.csv --symbols LIST|@FILE [--spot SYM=P,...] [--vol SYM=V,...] [--start DATE]
/// [--days N] [--rate PER_SEC] [--seed N] [--ticks N] [--bad-quotes RATE]</c>: a seeded, reproducible
/// synthetic CSV tape (docs/tapes.md). <c>--out -</c> writes to stdout.
/// </summary>
internal static class SynthCommand
{
    public static int Run(string[] args)
    {
        var cli = CliArgs.Parse("synth", args);
        string output = cli.Require("out");
        string? symbolsArg = cli.Get("symbols");
        string? positionsArg = cli.Get("positions");
        if (symbolsArg is null && positionsArg is null)
            throw new CliException("streamer synth: give --symbols LIST|@FILE or --positions FILE (or both)");
        var symbols = symbolsArg is null ? [] : SymbolArgs.Parse("synth", symbolsArg);
        var spots = ParseValues(cli.Get("spot"), "spot");
        DateOnly? positionsStart = null;
        if (positionsArg is not null) positionsStart = AddPositions(positionsArg, symbols, spots);
        var options = new SynthOptions
        {
            Symbols = symbols,
            Spots = spots,
            Vols = ParseValues(cli.Get("vol"), "vol"),
            Start = cli.Get("start") is { } start ? ParseDate(start) : positionsStart ?? SynthOptions.DefaultStart,
            Days = cli.Get("days") is not null ? cli.GetInt("days", 1) : null,
            TicksPerSecond = cli.GetDouble("rate", 10),
            Seed = cli.Get("seed") is { } seed ? ParseUInt64(seed, "seed") : 1,
            Ticks = cli.Get("ticks") is { } ticks ? (long)ParseUInt64(ticks, "ticks") : null,
            BadQuoteRate = cli.GetDouble("bad-quotes", 0),
        };
        cli.RejectUnknown();
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliException($"streamer synth: {e.Message}");
        }

        SynthResult result;
        if (output == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            result = SynthTape.Write(options, stdout);
        }
        else
        {
            OutputFile.CheckWritable("synth", "out", output);
            using var file = OutputFile.Create("synth", "out", output);
            if (Streamer.Feed.Tapes.TapeReader.FormatFromExtension(output) == Streamer.Feed.Tapes.TapeFormat.Binary)
            {
                // the generator writes CSV; a .stape gets the same ticks as the binary tape (tape convert's path, in memory)
                var csv = new MemoryStream();
                result = SynthTape.Write(options, csv);
                csv.Position = 0;
                var table = new Streamer.Rules.Instruments.SymbolTable();
                using var reader = Streamer.Feed.Tapes.TapeReader.Create(csv, output, table, Streamer.Feed.Tapes.TapeFormat.Csv);
                using var writer = new Streamer.Feed.Tapes.BinaryTapeWriter(file, leaveOpen: true);
                while (reader.TryRead(out var tick)) writer.Write(in tick, table[tick.SymbolId]);
            }
            else result = SynthTape.Write(options, file);
        }
        var summary = output == "-" ? Console.Error : Console.Out;
        foreach (var symbol in symbols)
        {
            // an option that expired before the first tick gets no quotes: say so rather than leave a silent gap
            if (OccSymbol.LooksLikeOption(symbol) && OccSymbol.TryParse(symbol, out var occ, out _)
                && MarketCalendar.ExpirationUtc(occ.Expiration) <= result.FirstTimeNs)
                Console.Error.WriteLine($"streamer synth: note: {symbol} expired before the tape starts; it has no quotes");
        }
        summary.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {result.Rows} ticks ({result.UnderlyingQuotes} underlying quotes, {result.Trades} trades, {result.OptionQuotes} option quotes, {result.BadQuotes} bad) " +
            $"over {result.Sessions} session(s), {NanoTime.FormatRfc3339(result.FirstTimeNs)} .. {NanoTime.FormatRfc3339(result.LastTimeNs)}, to {output}"));
        return 0;
    }

    /// <summary>
    /// Tapes for a positions file: every leg's symbol and its underlying, the underlying's
    /// <c>underlying_entry</c> as its start price (unless --spot names it), and the New York date of
    /// the earliest <c>opened_at</c> as the start (unless --start is given).
    /// </summary>
    private static DateOnly? AddPositions(string path, List<string> symbols, Dictionary<string, double> spots)
    {
        var positions = SymbolArgs.Positions("synth", path);
        SymbolArgs.AddLegs(positions, symbols);
        long earliest = long.MaxValue;
        foreach (var p in positions)
        {
            if (double.IsFinite(p.UnderlyingEntry)) spots.TryAdd(p.Underlying, p.UnderlyingEntry);
            if (p.OpenedAtNs != long.MinValue) earliest = Math.Min(earliest, p.OpenedAtNs);
        }
        return earliest == long.MaxValue ? null : MarketCalendar.Nyse.NewYorkDate(earliest);
    }

    /// <summary><c>SPY=596.2,QQQ=510</c> → map.</summary>
    private static Dictionary<string, double> ParseValues(string? value, string option)
    {
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        if (value is null) return map;
        foreach (var pair in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(pair.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
                throw new CliException($"streamer synth: --{option} '{pair}': expected SYMBOL=NUMBER (e.g. --{option} SPY={(option == "vol" ? "0.18" : "596.20")})");
            map[pair[..eq]] = number;
        }
        return map;
    }

    private static DateOnly ParseDate(string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date : throw new CliException($"streamer synth: --start must be a date like 2026-01-05, got '{value}'");

    private static ulong ParseUInt64(string value, string option) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)
            ? n : throw new CliException($"streamer synth: --{option} must be a whole number ≥ 0, got '{value}'");
}
