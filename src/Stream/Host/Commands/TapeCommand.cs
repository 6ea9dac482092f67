using System.Diagnostics;
using System.Globalization;
using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Host.Cli;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer tape convert IN OUT</c>: any tape (CSV, JSONL, binary) into CSV (<c>.csv</c>) or
/// Streamer's binary tape (<c>.stape</c>, docs/tapes.md "Binary tape"), tick for tick: a replay of
/// either gives the same exits. IN is read whole and checked as replay checks it.
/// </summary>
internal static class TapeCommand
{
    public const string Usage = "streamer tape convert IN OUT   (OUT: .stape binary or .csv)";

    public static int Run(string[] args)
    {
        if (args.Length != 3 || args[0] != "convert")
            throw new CliException($"streamer tape: usage: {Usage}");
        string input = args[1], output = args[2];
        if (!File.Exists(input)) throw new CliException($"streamer tape convert: {input} does not exist");
        var format = TapeReader.FormatFromExtension(output);
        if (format is not (TapeFormat.Binary or TapeFormat.Csv))
            throw new CliException($"streamer tape convert: {output}: write a .stape (binary) or a .csv tape");
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new CliException("streamer tape convert: IN and OUT are the same file");
        OutputFile.CheckWritable("tape convert", "OUT", output);

        var symbols = new SymbolTable();
        var names = new List<byte[]?>();
        long ticks = 0;
        var watch = Stopwatch.StartNew();
        try
        {
            using var reader = TapeReader.Open(input, symbols);
            using var file = OutputFile.Create("tape convert", "OUT", output);
            if (format == TapeFormat.Binary)
            {
                using var writer = new BinaryTapeWriter(file, leaveOpen: true);
                while (reader.TryRead(out Tick tick)) writer.Write(in tick, symbols[tick.SymbolId]);
                ticks = writer.Ticks;
            }
            else
            {
                using var writer = new CsvTapeWriter(file, leaveOpen: true);
                while (reader.TryRead(out Tick tick))
                {
                    while (names.Count <= tick.SymbolId) names.Add(null);
                    var name = names[tick.SymbolId] ??= Encoding.UTF8.GetBytes(symbols[tick.SymbolId]);
                    writer.WriteRow(tick.TimeNs, name, tick.HasQuote ? tick.Bid : double.NaN, tick.HasQuote ? tick.Ask : double.NaN, tick.HasTrade ? tick.Last : double.NaN);
                    ticks++;
                }
            }
        }
        catch (TapeFormatException e)
        {
            try { File.Delete(output); } catch (IOException) { } // half a tape is not a tape
            throw new CliException($"streamer tape convert: {e.Message}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{input} ({new FileInfo(input).Length:N0} bytes) -> {output} ({new FileInfo(output).Length:N0} bytes): {ticks:N0} ticks, {symbols.Count:N0} symbols, {watch.Elapsed.TotalSeconds:F2} s"));
        return 0;
    }
}
