using System.Globalization;
using System.Text;
using System.Text.Json;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Stream.Host.Cli;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer sweep --positions P --ticks T --grid G [--books B] [--report R.json] [--csv R.csv] [--html R.html] [--quiet]</c>:
/// every combination of the grid's values over one parse of the tape (docs/replay.md "Sweeps").
/// </summary>
internal static class SweepCommand
{
    public const string Usage = "streamer sweep --positions P --ticks T --grid G [--books B] [--report R.json] [--csv R.csv] [--html R.html]";

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("sweep", args, "quiet");
        string positionsPath = a.Require("positions");
        string ticksPath = a.Require("ticks");
        string gridPath = a.Require("grid");
        string? booksPath = a.Get("books");
        string? reportPath = a.Get("report");
        string? csvPath = a.Get("csv");
        string? htmlPath = a.Get("html");
        bool quiet = a.Has("quiet");
        a.RejectUnknown();
        if (reportPath is not null) OutputFile.CheckWritable("sweep", "report", reportPath);
        if (csvPath is not null) OutputFile.CheckWritable("sweep", "csv", csvPath);
        if (htmlPath is not null) OutputFile.CheckWritable("sweep", "html", htmlPath);

        var books = ReplayCommand.LoadBooks(booksPath);
        var positions = ReplayCommand.LoadPositions(positionsPath);
        if (!File.Exists(gridPath)) throw new CliException($"streamer sweep: grid file '{gridPath}' does not exist");
        SweepGrid grid;
        try
        {
            grid = SweepGrid.Parse(File.ReadAllText(gridPath), books, gridPath);
        }
        catch (ConfigException e)
        {
            throw new CliException($"streamer sweep: {e.Message}");
        }
        SweepResult result;
        try
        {
            var symbols = new SymbolTable();
            using var tape = ReplayCommand.OpenTape(ticksPath, symbols);
            result = SweepRunner.Run(positions, books, grid, tape, symbols);
        }
        catch (Exception e) when (e is TapeFormatException or ConfigException)
        {
            throw new CliException($"streamer sweep: {e.Message}");
        }
        catch (AggregateException e) when (e.InnerException is ConfigException inner)
        {
            throw new CliException($"streamer sweep: {inner.Message}");
        }
        if (!quiet) WriteTable(result, Console.Out);
        if (reportPath is not null)
        {
            using var f = OutputFile.Create("sweep", "report", reportPath);
            WriteJson(result, f);
            Console.WriteLine($"report: {reportPath}");
        }
        if (csvPath is not null)
        {
            using var f = new StreamWriter(OutputFile.Create("sweep", "csv", csvPath), new UTF8Encoding(false));
            WriteCsv(result, f);
            Console.WriteLine($"csv: {csvPath}");
        }
        if (htmlPath is not null)
        {
            using (var f = new StreamWriter(OutputFile.Create("sweep", "html", htmlPath), new UTF8Encoding(false)))
                SweepHtmlReport.Write(result, $"Sweep: {Path.GetFileName(gridPath)} over {Path.GetFileName(ticksPath)}", f);
            Console.WriteLine($"html: {htmlPath}");
        }
        return 0;
    }

    private static string F(double d) => double.IsFinite(d) ? d.ToString("0.00", CultureInfo.InvariantCulture) : "";

    private static string Rules(SweepVariant v) => string.Join(" ", v.ExitsByRule.Select(r => $"{r.Key}={r.Value}"));

    internal static void WriteTable(SweepResult r, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine(string.Join(" | ", new[] { "#" }.Concat(r.Keys).Concat(["realized P&L", "max drawdown", "win rate", "avg hold (min)", "exits by rule"])));
        foreach (var v in r.Variants)
        {
            int closed = v.Wins + v.Losses;
            w.WriteLine(string.Join(" | ", new[] { v.Index.ToString(inv) }.Concat(v.Values).Concat([F(v.RealizedPnl), F(v.MaxDrawdown),
                closed == 0 ? "" : string.Create(inv, $"{100.0 * v.Wins / closed:0}% ({v.Wins}/{closed})"), double.IsNaN(v.AverageHoldMinutes) ? "" : v.AverageHoldMinutes.ToString("0.0", inv), Rules(v)])));
        }
        var best = r.Variants[r.Best];
        w.WriteLine(string.Create(inv, $"best: #{best.Index} ({string.Join(", ", r.Keys.Zip(best.Values, (k, x) => $"{k}={x}"))}), realized P&L {F(best.RealizedPnl)}"));
        w.WriteLine(string.Create(inv, $"note: the best of {r.Variants.Count} variants on the same tape is biased upward (it was chosen in sample); check it on another tape before trusting it"));
        w.WriteLine(string.Create(inv, $"{r.Ticks:N0} ticks parsed once in {r.ParseMs:F0} ms; {r.Variants.Count} variants in {r.SweepMs:F0} ms ({r.SweepMs / r.Variants.Count:F1} ms each, a single replay {r.SingleReplayMs:F0} ms) on {Environment.ProcessorCount} cores"));
    }

    internal static void WriteJson(SweepResult r, System.IO.Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("keys");
        foreach (var k in r.Keys) w.WriteStringValue(k);
        w.WriteEndArray();
        w.WriteNumber("best", r.Best);
        w.WriteString("note", "the best of many in-sample variants is biased upward: check it on another tape");
        w.WriteStartArray("variants");
        foreach (var v in r.Variants)
        {
            w.WriteStartObject();
            w.WriteNumber("index", v.Index);
            w.WriteStartObject("values");
            for (int i = 0; i < r.Keys.Count; i++) w.WriteString(r.Keys[i], v.Values[i]);
            w.WriteEndObject();
            w.WriteNumber("realized_pnl", v.RealizedPnl);
            w.WriteNumber("max_drawdown", v.MaxDrawdown);
            w.WriteNumber("wins", v.Wins);
            w.WriteNumber("losses", v.Losses);
            if (double.IsNaN(v.AverageHoldMinutes)) w.WriteNull("average_hold_minutes");
            else w.WriteNumber("average_hold_minutes", v.AverageHoldMinutes);
            w.WriteNumber("exits", v.Exits);
            w.WriteStartObject("exits_by_rule");
            foreach (var (rule, n) in v.ExitsByRule) w.WriteNumber(rule, n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static void WriteCsv(SweepResult r, TextWriter w)
    {
        w.WriteLine(string.Join(",", new[] { "index" }.Concat(r.Keys).Concat(["realized_pnl", "max_drawdown", "wins", "losses", "average_hold_minutes", "exits", "exits_by_rule"])));
        foreach (var v in r.Variants)
            w.WriteLine(string.Join(",", new[] { v.Index.ToString(CultureInfo.InvariantCulture) }.Concat(v.Values).Concat([F(v.RealizedPnl), F(v.MaxDrawdown),
                v.Wins.ToString(CultureInfo.InvariantCulture), v.Losses.ToString(CultureInfo.InvariantCulture),
                double.IsNaN(v.AverageHoldMinutes) ? "" : v.AverageHoldMinutes.ToString("0.0", CultureInfo.InvariantCulture), v.Exits.ToString(CultureInfo.InvariantCulture), Rules(v)])));
    }
}
