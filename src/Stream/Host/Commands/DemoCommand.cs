using System.Globalization;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Stream.Host.Cli;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer demo</c>: the embedded default. Replays the bundled session built on the seeds'
/// own trades (META and QCOM day trades, a 10-lot SPY put credit spread) fully offline, prints
/// each exit as it fires, the summary, and what the seeds' own monitor would have done.
/// </summary>
internal static class DemoCommand
{
    private const string TapeName = "demo/ticks.csv";
    private const string PositionsName = "demo/positions.json";

    public static int Run(string[] args)
    {
        var a = CliArgs.Parse("demo", args);
        string? reportPath = a.Get("report");
        // the HTML report: always written, to the temp directory unless --html says where
        string htmlPath = a.Get("html") ?? Path.Combine(Path.GetTempPath(), "streamer-demo-report.html");
        a.RejectUnknown();
        if (reportPath is not null) OutputFile.CheckWritable("demo", "report", reportPath);
        OutputFile.CheckWritable("demo", "html", htmlPath);

        var positions = PositionsFile.Parse(ReadResourceText(PositionsName), PositionsName);
        var books = BookSet.BuiltIn;
        var symbols = new SymbolTable();
        var o = Console.Out;
        var market = TapeFacts.Read(symbols);

        o.WriteLine("Streamer demo: the seeds' own trades, replayed offline from the bundled tape");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {market.Ticks:N0} ticks, {ReplayReport.NewYork(market.FirstNs)} to {ReplayReport.NewYork(market.LastNs)}; no server, no keys"));
        o.WriteLine();
        foreach (var p in positions) o.WriteLine($"  {p.Id,-10} {Describe(p)}");
        o.WriteLine();
        o.WriteLine("exits as they fire (New York time):");

        var recording = new ReplayRecording(books);
        var session = new ReplaySession(positions, books, symbols) { OnExit = e => o.WriteLine("  " + ReplayReport.ExitLine(e)), Recorder = recording };
        ReplayResult result;
        using (var tape = TapeReader.Create(OpenResource(TapeName), TapeName, symbols))
            result = session.Run(tape);
        ReplayReport.WriteSummary(result, o);

        o.WriteLine();
        o.WriteLine("what the seeds' monitor would have done with the same ticks:");
        foreach (var p in positions)
        {
            var line = SeedComparison(p, result, market, symbols);
            if (line is not null) o.WriteLine("  - " + line);
        }
        if (reportPath is not null)
        {
            using var f = OutputFile.Create("demo", "report", reportPath);
            ReplayReport.WriteJson(result, f);
            o.WriteLine($"report: {reportPath}");
        }
        ReplayCommand.WriteHtml("demo", htmlPath, result, recording, "streamer demo: the seeds' own trades, replayed offline from the bundled tape");
        o.WriteLine($"html: {htmlPath}  (open it in a browser: a single file, no network)");
        o.WriteLine();
        o.WriteLine("next: streamer replay --positions P --ticks T --report R.json  (see README)");
        return 0;
    }

    private static string Describe(PositionSpec p)
    {
        var legs = string.Join(" / ", p.Legs.Select(l => string.Create(CultureInfo.InvariantCulture, $"{(l.Qty > 0 ? "+" : "")}{l.Qty} {l.Symbol} @ {l.EntryPrice:0.00}")));
        var levels = double.IsFinite(p.StopUnderlying) || double.IsFinite(p.TargetUnderlying)
            ? string.Create(CultureInfo.InvariantCulture, $"; stock stop/target {p.StopUnderlying:0.00} / {p.TargetUnderlying:0.00}")
            : "";
        return $"{p.Book} book: {legs}{levels}";
    }

    /// <summary>The seeds' failure for each trade, stated from this run's numbers (nothing here is hard-coded).</summary>
    private static string? SeedComparison(PositionSpec p, ReplayResult result, TapeFacts market, SymbolTable symbols)
    {
        var exits = result.Exits.Where(e => e.PositionId == p.Id).ToList();
        var pos = result.Positions.First(r => r.Id == p.Id);
        int underlying = symbols.Lookup(p.Underlying);
        market.Range(underlying, p.OpenedAtNs, out double low, out double high);
        if (double.IsFinite(p.TargetUnderlying) && exits.Count > 0)
        {
            bool stockTargetHit = high >= p.TargetUnderlying;
            bool stockStopHit = low <= p.StopUnderlying;
            string seed = stockTargetHit || stockStopHit
                ? "its stock-price levels would have fired"
                : string.Create(CultureInfo.InvariantCulture,
                    $"the seed's stock levels {p.StopUnderlying:0.00} / {p.TargetUnderlying:0.00} never traded ({p.Underlying} ranged {low:0.00}-{high:0.00}) and its monitor held no positions at all");
            var first = exits[0];
            return string.Create(CultureInfo.InvariantCulture,
                $"{p.Id}: {seed}; Streamer closed it by {first.Rule} at {ReplayReport.NewYork(first.TimeNs)[11..]} for {ReplayReport.Money(pos.RealizedPnl)}");
        }
        if (exits.Count > 1)
        {
            var sizes = string.Join("/", exits.Select(e => e.ContractsClosed));
            return $"{p.Id}: the seed's backtest closed all {pos.ContractsOriginal} contracts at the first target; Streamer scaled out {sizes} ({string.Join(", ", exits.Select(e => e.Reason))}) for {ReplayReport.Money(pos.RealizedPnl)}";
        }
        return null;
    }

    private static System.IO.Stream OpenResource(string name) =>
        typeof(DemoCommand).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"the demo resource '{name}' is missing from this build");

    private static string ReadResourceText(string name)
    {
        using var r = new StreamReader(OpenResource(name));
        return r.ReadToEnd();
    }

    /// <summary>Facts about the bundled tape the narration quotes: span, and each underlying's traded range.</summary>
    private sealed class TapeFacts
    {
        private readonly List<Tick> _ticks = [];

        public long Ticks => _ticks.Count;
        public long FirstNs => _ticks[0].TimeNs;
        public long LastNs => _ticks[^1].TimeNs;

        public static TapeFacts Read(SymbolTable symbols)
        {
            var facts = new TapeFacts();
            using var tape = TapeReader.Create(OpenResource(TapeName), TapeName, symbols);
            while (tape.TryRead(out var t)) facts._ticks.Add(t);
            return facts;
        }

        public void Range(int symbolId, long fromNs, out double low, out double high)
        {
            low = double.PositiveInfinity;
            high = double.NegativeInfinity;
            foreach (var t in _ticks)
            {
                if (t.SymbolId != symbolId || t.TimeNs < fromNs || !t.IsSaneQuote) continue;
                low = Math.Min(low, t.Bid);
                high = Math.Max(high, t.Ask);
            }
        }
    }
}
