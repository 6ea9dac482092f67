using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Host.Cli;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Host.Commands;

/// <summary><c>streamer replay --positions P --ticks T [--books B] [--report R.json] [--csv R.csv] [--html R.html] [--until TIME] [--quiet] [--latency]</c></summary>
internal static class ReplayCommand
{
    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("replay", args, "quiet", "latency");
        string positionsPath = a.Require("positions");
        string ticksPath = a.Require("ticks");
        string? booksPath = a.Get("books");
        string? reportPath = a.Get("report");
        string? csvPath = a.Get("csv");
        string? htmlPath = a.Get("html");
        bool quiet = a.Has("quiet");
        bool latency = a.Has("latency");
        string? untilText = a.Get("until");
        a.RejectUnknown();
        long? until = null;
        if (untilText is not null)
        {
            if (!Streamer.Rules.Time.NanoTime.TryParseRfc3339(untilText.AsSpan(), out long u))
                throw new CliException($"streamer replay: --until '{untilText}' is not an RFC 3339 time (e.g. 2026-01-29T21:00:00Z)");
            until = u;
        }
        if (reportPath is not null) OutputFile.CheckWritable("replay", "report", reportPath);
        if (csvPath is not null) OutputFile.CheckWritable("replay", "csv", csvPath);
        if (htmlPath is not null) OutputFile.CheckWritable("replay", "html", htmlPath);

        var books = LoadBooks(booksPath);
        var positions = LoadPositions(positionsPath);
        var symbols = new SymbolTable();
        ReplayResult result;
        // the HTML report's time series; without --html nothing is recorded
        var recording = htmlPath is null ? null : new ReplayRecording(books);
        try
        {
            var session = new ReplaySession(positions, books, symbols)
            {
                MeasureLatencyInEvents = latency,
                UntilNs = until,
                OnExit = quiet ? null : e => Console.WriteLine(ReplayReport.ExitLine(e)),
                Recorder = recording,
            };
            // a large text tape is parsed on a second core while this thread runs the engine: the same output
            if (ReplaySession.PrefersTwoThreads(TapeBytes(ticksPath), TapeReader.FormatFromExtension(ticksPath)))
            {
                result = session.RunTwoThreads(parserSymbols => OpenTape(ticksPath, parserSymbols));
            }
            else
            {
                using var tape = OpenTape(ticksPath, symbols);
                result = session.Run(tape);
            }
        }
        catch (Exception e) when (e is TapeFormatException or ConfigException)
        {
            throw new CliException($"streamer replay: {e.Message}");
        }
        ReplayReport.WriteSummary(result, Console.Out);
        if (reportPath is not null)
        {
            using var f = OutputFile.Create("replay", "report", reportPath);
            ReplayReport.WriteJson(result, f);
            Console.WriteLine($"report: {reportPath}");
        }
        if (csvPath is not null)
        {
            using var f = new StreamWriter(OutputFile.Create("replay", "csv", csvPath), ReplayReport.Utf8NoBom);
            ReplayReport.WriteCsv(result, f);
            Console.WriteLine($"csv: {csvPath}");
        }
        if (htmlPath is not null)
        {
            WriteHtml("replay", htmlPath, result, recording!, $"streamer replay --positions {Path.GetFileName(positionsPath)} --ticks {Path.GetFileName(ticksPath)}" + (booksPath is null ? "" : $" --books {Path.GetFileName(booksPath)}"));
            Console.WriteLine($"html: {htmlPath}");
        }
        return 0;
    }

    internal static void WriteHtml(string command, string path, ReplayResult result, ReplayRecording recording, string title)
    {
        using var w = new StreamWriter(OutputFile.Create(command, "html", path), ReplayReport.Utf8NoBom);
        w.NewLine = "\n";
        ReplayHtmlReport.Write(result, recording, title, w);
    }

    internal static BookSet LoadBooks(string? path)
    {
        if (path is null) return BookSet.BuiltIn;
        try { return BookSet.Parse(ReadFile(path, "books"), path); }
        catch (ConfigException e) { throw new CliException($"streamer: {e.Message}"); }
    }

    internal static IReadOnlyList<PositionSpec> LoadPositions(string path)
    {
        try { return PositionsFile.Parse(ReadFile(path, "positions"), path); }
        catch (ConfigException e) { throw new CliException($"streamer: {e.Message}"); }
    }

    internal static TapeReader OpenTape(string path, SymbolTable symbols)
    {
        if (!File.Exists(path)) throw new CliException($"streamer: ticks file '{path}' does not exist");
        return TapeReader.Open(path, symbols);
    }

    /// <summary>The tape's size, or 0 when it is missing (<see cref="OpenTape"/> says so).</summary>
    private static long TapeBytes(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static string ReadFile(string path, string what) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new CliException($"streamer: {what} file '{path}' does not exist");
}
