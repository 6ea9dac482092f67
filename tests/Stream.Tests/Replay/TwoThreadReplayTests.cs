using System.Globalization;
using System.Text;
using Streamer.Feed.Synth;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Replay;
using Streamer.Stream.Tests.Pipeline;

namespace Streamer.Stream.Tests.Replay;

/// <summary>
/// The two-thread replay (a parser thread, the engine on this one, a ring between them) writes
/// the same exits, report, CSV and HTML as the single-thread replay, byte for byte, and fails the
/// same way at a bad row after the same exits.
/// </summary>
public sealed class TwoThreadReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-two-thread-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Everything a replay writes, with the wall-clock figures (elapsed, ticks/s, latency) zeroed: the rest must match byte for byte.</summary>
    private sealed record Output(byte[] Report, string Csv, string Html, IReadOnlyList<string> LiveLines, ReplayStats Stats);

    private static Output Replay(IReadOnlyList<PositionSpec> positions, BookSet books, string tapePath, bool twoThreads, int capacity = ReplaySession.DefaultHandoffCapacity, bool html = true)
    {
        var symbols = new SymbolTable();
        var recording = new ReplayRecording(books);
        var live = new List<string>();
        var session = new ReplaySession(positions, books, symbols) { Recorder = recording, OnExit = e => live.Add(ReplayReport.ExitLine(e)) };
        ReplayResult result;
        if (twoThreads)
        {
            result = session.RunTwoThreads(table => TapeReader.Open(tapePath, table), capacity);
        }
        else
        {
            using var tape = TapeReader.Open(tapePath, symbols);
            result = session.Run(tape);
        }
        var timeless = result with { Stats = result.Stats with { ElapsedMs = 0, TicksPerSecond = 0, TickP50Ns = 0, TickP99Ns = 0, TickP999Ns = 0, TickMaxNs = 0 } };
        var json = new MemoryStream();
        ReplayReport.WriteJson(timeless, json);
        var csv = new StringWriter();
        ReplayReport.WriteCsv(timeless, csv);
        var page = new StringWriter { NewLine = "\n" };
        if (html) ReplayHtmlReport.Write(timeless, recording, "two threads", page);
        return new Output(json.ToArray(), csv.ToString(), page.ToString(), live, timeless.Stats);
    }

    private static void AssertSame(Output single, Output two)
    {
        Assert.Equal(single.LiveLines, two.LiveLines);
        Assert.Equal(single.Csv, two.Csv);
        Assert.Equal(Encoding.UTF8.GetString(single.Report), Encoding.UTF8.GetString(two.Report));
        Assert.Equal(single.Report, two.Report);
        Assert.Equal(single.Html, two.Html);
        Assert.Equal(single.Stats, two.Stats);
    }

    [Theory]
    [InlineData(ReplaySession.DefaultHandoffCapacity)]
    [InlineData(128)] // the smallest ring: it wraps every 128 ticks and both sides wait on each other
    public void The_demo_sample_replays_the_same_on_two_threads(int capacity)
    {
        var positions = Demo.Positions();
        var single = Replay(positions, BookSet.BuiltIn, Demo.File("ticks.csv"), twoThreads: false);
        var two = Replay(positions, BookSet.BuiltIn, Demo.File("ticks.csv"), twoThreads: true, capacity);

        Assert.True(single.LiveLines.Count >= 3, $"the demo should fire several exits, got {single.LiveLines.Count}");
        Assert.Contains("SPY-PCS-1", single.Csv, StringComparison.Ordinal);
        AssertSame(single, two);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("binary")]
    public void A_synthetic_tape_with_late_positions_and_bad_quotes_replays_the_same_on_two_threads(string format)
    {
        // with the HTML too: this workload's nearly flat series once made the report's y grid loop without end
        var (positions, tapePath) = SynthWorkload(format, ticks: 60_000);
        var single = Replay(positions, BookSet.BuiltIn, tapePath, twoThreads: false);
        var two = Replay(positions, BookSet.BuiltIn, tapePath, twoThreads: true);
        var small = Replay(positions, BookSet.BuiltIn, tapePath, twoThreads: true, capacity: 128);

        Assert.Equal(60_000, single.Stats.Ticks);
        Assert.True(single.Stats.Exits >= 5, $"the workload should fire exits, got {single.Stats.Exits}");
        Assert.True(single.Stats.InsaneQuotes > 0, "the tape's bad quotes should be counted");
        AssertSame(single, two);
        AssertSame(single, small);
    }

    [Fact]
    public void A_bad_row_fails_both_the_same_way_after_the_same_exits()
    {
        var (positions, tapePath) = SynthWorkload("csv", ticks: 60_000);
        var lines = File.ReadAllLines(tapePath);
        lines[30_000] = "2026-01-05T16:00:00Z,U0,abc,1.00,";
        string bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(bad, lines);

        var singleExits = new List<string>();
        var twoExits = new List<string>();
        var singleError = Assert.Throws<TapeFormatException>(() =>
        {
            var symbols = new SymbolTable();
            var session = new ReplaySession(positions, BookSet.BuiltIn, symbols) { OnExit = e => singleExits.Add(Encoding.UTF8.GetString(e.Json)) };
            using var tape = TapeReader.Open(bad, symbols);
            session.Run(tape);
        });
        var twoError = Assert.Throws<TapeFormatException>(() =>
        {
            var session = new ReplaySession(positions, BookSet.BuiltIn, new SymbolTable()) { OnExit = e => twoExits.Add(Encoding.UTF8.GetString(e.Json)) };
            session.RunTwoThreads(table => TapeReader.Open(bad, table), handoffCapacity: 256);
        });

        Assert.Equal(singleError.Message, twoError.Message);
        Assert.Contains(":30001:", twoError.Message, StringComparison.Ordinal);
        Assert.NotEmpty(singleExits);
        Assert.Equal(singleExits, twoExits);
    }

    [Fact]
    public void An_engine_side_failure_stops_the_parser_and_reaches_the_caller()
    {
        var (positions, tapePath) = SynthWorkload("csv", ticks: 60_000);
        int exitsSeen = 0;
        var session = new ReplaySession(positions, BookSet.BuiltIn, new SymbolTable())
        {
            OnExit = _ => { if (++exitsSeen == 2) throw new InvalidOperationException("the exit printer broke"); },
        };
        TapeReader? opened = null;
        var error = Assert.Throws<InvalidOperationException>(() => session.RunTwoThreads(table => opened = TapeReader.Open(tapePath, table), handoffCapacity: 256));

        Assert.Equal("the exit printer broke", error.Message);
        Assert.Equal(2, exitsSeen);
        // the parser stopped within a ring's length of the engine, long before the tape's end, and the tape was closed
        Assert.NotNull(opened);
        Assert.True(opened!.TickCount < 60_000, $"the parser should have stopped early, read {opened.TickCount}");
        Assert.Throws<ObjectDisposedException>(() => opened.TryRead(out _));
    }

    [Fact]
    public void Only_large_text_tapes_take_the_two_thread_path()
    {
        Assert.False(ReplaySession.PrefersTwoThreads(100_000, TapeFormat.Csv));
        Assert.False(ReplaySession.PrefersTwoThreads(1L << 30, TapeFormat.Binary));
        bool twoCores = Environment.ProcessorCount >= 2;
        Assert.Equal(twoCores, ReplaySession.PrefersTwoThreads(ReplaySession.TwoThreadMinimumTapeBytes, TapeFormat.Csv));
        Assert.Equal(twoCores, ReplaySession.PrefersTwoThreads(ReplaySession.TwoThreadMinimumTapeBytes, TapeFormat.Jsonl));
        Assert.Equal(twoCores, ReplaySession.PrefersTwoThreads(ReplaySession.TwoThreadMinimumTapeBytes, null)); // no known extension: sniffed text
    }

    /// <summary>
    /// Four underlyings with calls, puts and put credit spreads; some positions join mid-tape (the
    /// engine grows its per-symbol state then), the tape carries options no position holds, and 2 % of
    /// option quotes are bad (counted only for symbols the engine knows when they come).
    /// </summary>
    private (IReadOnlyList<PositionSpec> Positions, string TapePath) SynthWorkload(string format, long ticks)
    {
        var inv = CultureInfo.InvariantCulture;
        var symbols = new List<string>();
        var json = new StringBuilder("{ \"positions\": [\n");
        bool first = true;
        string[] opens = ["2026-01-05T14:30:00Z", "2026-01-05T15:10:00Z", "2026-01-05T16:40:00Z"];
        for (int u = 0; u < 4; u++)
        {
            string root = "U" + u.ToString(inv);
            double atm = 50 + 10 * u;
            var exp = new DateOnly(2026, 2, 20);
            string Sym(OptionRight r, double k) { var s = OccSymbol.Create(root, exp, r, k).ToString(); if (!symbols.Contains(s)) symbols.Add(s); return s; }
            void Add(string id, string book, string opened, params (string Sym, int Qty, double Entry)[] legs)
            {
                json.Append(first ? "  " : ",\n  ");
                first = false;
                json.Append(inv, $"{{ \"id\": \"{id}\", \"book\": \"{book}\", \"opened_at\": \"{opened}\", \"legs\": [");
                json.Append(string.Join(", ", legs.Select(l => string.Create(inv, $"{{ \"symbol\": \"{l.Sym}\", \"qty\": {l.Qty}, \"entry_price\": {l.Entry} }}"))));
                json.Append("] }");
            }
            for (int i = 0; i < 3; i++)
            {
                string opened = opens[(u + i) % opens.Length];
                Add($"{root}-LC{i}", "day_trade", opened, (Sym(OptionRight.Call, atm + i), 2 + i, Math.Round(atm * 0.03, 2)));
                Add($"{root}-LP{i}", "day_trade", opened, (Sym(OptionRight.Put, atm - i), 3, Math.Round(atm * 0.028, 2)));
                Add($"{root}-PCS{i}", "primary", opened, (Sym(OptionRight.Put, atm - 2 - i), -10, Math.Round(atm * 0.012, 2)), (Sym(OptionRight.Put, atm - 3 - i), 10, Math.Round(atm * 0.008, 2)));
            }
        }
        json.Append("\n] }\n");
        // options no position holds: the engine sees them only once its per-symbol state has grown past them
        for (int k = 0; k < 6; k++) symbols.Add(OccSymbol.Create("ZZ", new DateOnly(2026, 3, 20), k % 2 == 0 ? OptionRight.Call : OptionRight.Put, 20 + k).ToString());
        var positions = PositionsFile.Parse(json.ToString(), "positions.json");

        string csvPath = Path.Combine(_dir, $"synth-{ticks}.csv");
        if (!File.Exists(csvPath))
        {
            var synth = new SynthOptions { Symbols = symbols, Ticks = ticks, Seed = 7, TicksPerSecond = 12, BadQuoteRate = 0.02 };
            using var f = File.Create(csvPath);
            SynthTape.Write(synth, f);
        }
        if (format == "csv") return (positions, csvPath);
        string binaryPath = Path.Combine(_dir, $"synth-{ticks}{BinaryTape.Extension}");
        var table = new SymbolTable();
        using (var reader = TapeReader.Open(csvPath, table))
        using (var writer = new BinaryTapeWriter(File.Create(binaryPath)))
        {
            while (reader.TryRead(out var tick)) writer.Write(in tick, table[tick.SymbolId]);
        }
        return (positions, binaryPath);
    }
}
