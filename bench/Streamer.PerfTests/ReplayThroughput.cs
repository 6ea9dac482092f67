using System.Globalization;
using System.Text;
using Streamer.Feed.Synth;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Replay;

namespace Streamer.PerfTests;

/// <summary>
/// Replay throughput: 1,000 positions over 100 underlyings (long calls and puts, put credit
/// spreads, call debit spreads, iron condors) on a synthetic tape of 1,000,000 ticks, CSV parsing
/// included. The workload files are written next to the results so `streamer replay` can rerun them.
/// In one run per tape (CSV, binary): parsing alone, the single-thread replay and the two-thread replay
/// (parser thread + engine thread), and replay/parse, issue 14's figure. <c>--european</c>: the books
/// with <c>pricing: { style: european }</c> (Black–Scholes on every option, the fast path for backtests).
/// <c>--style american|european|both</c> (default american; <c>--european</c> = <c>--style european</c>): <c>both</c> replays
/// the same tapes priced each way in one process, so their ratio is measured under the same load.
/// </summary>
internal static class ReplayThroughput
{
    public static int Run(string[] args)
    {
        string style = args.Contains("--european") ? "european" : "american";
        args = args.Where(a => a != "--european").ToArray();
        int styleAt = Array.IndexOf(args, "--style");
        if (styleAt >= 0)
        {
            style = styleAt + 1 < args.Length ? args[styleAt + 1] : throw new ArgumentException("--style needs american, european or both");
            args = [.. args[..styleAt], .. args[(styleAt + 2)..]];
        }
        string[] styles = style switch
        {
            "american" or "european" => [style],
            "both" => ["european", "american"],
            _ => throw new ArgumentException($"--style {style}: american, european or both"),
        };
        long ticks = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        int underlyings = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        // per process: other runs on this shared machine may be writing theirs
        string dir = Path.Combine(Path.GetTempPath(), $"streamer-throughput-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        string tapePath = Path.Combine(dir, "ticks.csv");
        string positionsPath = Path.Combine(dir, "positions.json");

        var (positionsJson, symbols) = Workload(underlyings);
        File.WriteAllText(positionsPath, positionsJson);
        var synth = new SynthOptions { Symbols = symbols, Ticks = ticks, Seed = 42, TicksPerSecond = 400, Start = new DateOnly(2026, 1, 5) };
        using (var f = File.Create(tapePath)) SynthTape.Write(synth, f);
        Console.WriteLine($"workload: {positionsPath} ({underlyings * 10} positions), {tapePath} ({new FileInfo(tapePath).Length / 1e6:F1} MB)");

        // the same tape as Streamer's binary tape (tape convert), to replay and to parse from both
        string binaryPath = Path.Combine(dir, "ticks" + Streamer.Feed.Tapes.BinaryTape.Extension);
        {
            var t = new SymbolTable();
            using var reader = Streamer.Feed.Tapes.TapeReader.Open(tapePath, t);
            using var writer = new Streamer.Feed.Tapes.BinaryTapeWriter(File.Create(binaryPath));
            while (reader.TryRead(out var tick)) writer.Write(in tick, t[tick.SymbolId]);
        }
        Console.WriteLine($"binary tape: {binaryPath} ({new FileInfo(binaryPath).Length / 1e6:F1} MB)");

        var positions = PositionsFile.Parse(positionsJson, positionsPath);
        Console.WriteLine($"{Environment.ProcessorCount} cores");
        ReplayResult? best = null;
        foreach (string pricing in styles)
        {
            // european: Black–Scholes on every leg (pricing: { style: european } in a books file)
            var books = ReplayMeasure.Books(pricing == "european");
            var bestOfStyle = RunTapes(positions, books, pricing, tapePath, binaryPath);
            if (best is null || pricing == "american") best = bestOfStyle;
        }
        using (var f = File.Create(Path.Combine(dir, "report.json"))) ReplayReport.WriteJson(best!, f);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay throughput: {best!.Stats.TicksPerSecond:N0} ticks/s (report: {Path.Combine(dir, "report.json")})"));
        return 0;
    }

    /// <summary>Both tapes, three replays each (the first warms the JIT); the best CSV replay of the rest.</summary>
    private static ReplayResult RunTapes(IReadOnlyList<PositionSpec> positions, BookSet books, string pricing, string tapePath, string binaryPath)
    {
        ReplayResult? best = null;
        foreach (var (name, path) in new[] { ("csv", tapePath), ("binary", binaryPath) })
        {
            var runs = new List<(double ParseMs, ReplayResult Single, ReplayResult Two)>();
            for (int run = 0; run < 3; run++)  // first run warms the JIT; report the median of the rest
            {
                // the baseline, in the same run: only parsing the tape
                var (parsed, parseMs) = ReplayMeasure.ParseOnly(path);
                var single = ReplayMeasure.Replay(positions, books, path, twoThreads: false);
                var two = ReplayMeasure.Replay(positions, books, path, twoThreads: true);
                ReplayMeasure.CheckIdentical(single, two);
                var s = single.Stats;
                var t = two.Stats;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{pricing} {name} run {run}: {s.Ticks:N0} ticks, {s.Exits} exits; parse only {parseMs:F0} ms ({parsed / (parseMs / 1000):N0} ticks/s); single-thread {s.ElapsedMs:F0} ms ({s.TicksPerSecond:N0} ticks/s, replay/parse {s.ElapsedMs / parseMs:F2}); two-thread {t.ElapsedMs:F0} ms ({t.TicksPerSecond:N0} ticks/s, replay/parse {t.ElapsedMs / parseMs:F2}); engine per tick p50 {t.TickP50Ns} ns p99 {t.TickP99Ns} ns p99.9 {t.TickP999Ns} ns; exits identical"));
                if (run > 0) runs.Add((parseMs, single, two));
            }
            // the median of the warm runs, each figure on its own (a noisy VM: one slow run must not pick the line)
            double parseMedian = ReplayMeasure.Median(runs.Select(r => r.ParseMs));
            double singleMedian = ReplayMeasure.Median(runs.Select(r => r.Single.Stats.ElapsedMs));
            double twoMedian = ReplayMeasure.Median(runs.Select(r => r.Two.Stats.ElapsedMs));
            long n = runs[0].Single.Stats.Ticks;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{pricing} {name} (median of {runs.Count} warm runs): parse only {n / (parseMedian / 1000):N0} ticks/s; replay single-thread {n / (singleMedian / 1000):N0} ticks/s (replay/parse {singleMedian / parseMedian:F2}); two-thread {n / (twoMedian / 1000):N0} ticks/s (replay/parse {twoMedian / parseMedian:F2}; issue 14: <= 1.5); two-thread speed-up {singleMedian / twoMedian:F2}x"));
            if (name == "csv") best = runs.MaxBy(r => r.Two.Stats.TicksPerSecond).Two;
        }
        return best!;
    }

    /// <summary>Ten positions per underlying on options 30-60 days out, strikes around the synthetic spot.</summary>
    internal static (string Json, List<string> Symbols) Workload(int underlyings)
    {
        var symbols = new List<string>();
        var json = new StringBuilder("{ \"positions\": [\n");
        var inv = CultureInfo.InvariantCulture;
        bool first = true;
        for (int u = 0; u < underlyings; u++)
        {
            string root = "U" + u.ToString("D2", inv);
            symbols.Add(root);
            double spot = 40 + 5 * u;              // synth's default spot is the median strike of the options we list
            double step = spot >= 100 ? 5 : 1;
            double atm = Math.Round(spot / step) * step;
            var exp = new DateOnly(2026, 2, 20).AddDays(7 * (u % 4));
            string Sym(OptionRight r, double k) { var s = OccSymbol.Create(root, exp, r, k).ToString(); if (!symbols.Contains(s)) symbols.Add(s); return s; }
            void Add(string id, string book, params (string Sym, int Qty, double Entry)[] legs)
            {
                json.Append(first ? "  " : ",\n  ");
                first = false;
                json.Append(inv, $"{{ \"id\": \"{id}\", \"book\": \"{book}\", \"opened_at\": \"2026-01-05T14:30:00Z\", \"legs\": [");
                json.Append(string.Join(", ", legs.Select(l => string.Create(inv, $"{{ \"symbol\": \"{l.Sym}\", \"qty\": {l.Qty}, \"entry_price\": {l.Entry} }}"))));
                json.Append("] }");
            }
            for (int i = 0; i < 2; i++)
            {
                Add($"{root}-LC{i}", "day_trade", (Sym(OptionRight.Call, atm + i * step), 2 + i, Math.Round(spot * 0.03, 2)));
                Add($"{root}-LP{i}", "day_trade", (Sym(OptionRight.Put, atm - i * step), 3 + i, Math.Round(spot * 0.028, 2)));
            }
            for (int i = 0; i < 3; i++)
                Add($"{root}-PCS{i}", "primary", (Sym(OptionRight.Put, atm - (2 + i) * step), -10, Math.Round(spot * 0.012, 2)), (Sym(OptionRight.Put, atm - (3 + i) * step), 10, Math.Round(spot * 0.008, 2)));
            for (int i = 0; i < 2; i++)
                Add($"{root}-CDS{i}", "day_trade", (Sym(OptionRight.Call, atm + i * step), 5, Math.Round(spot * 0.03, 2)), (Sym(OptionRight.Call, atm + (i + 2) * step), -5, Math.Round(spot * 0.015, 2)));
            Add($"{root}-IC", "income_pop",
                (Sym(OptionRight.Put, atm - 4 * step), 4, Math.Round(spot * 0.005, 2)), (Sym(OptionRight.Put, atm - 3 * step), -4, Math.Round(spot * 0.008, 2)),
                (Sym(OptionRight.Call, atm + 3 * step), -4, Math.Round(spot * 0.008, 2)), (Sym(OptionRight.Call, atm + 4 * step), 4, Math.Round(spot * 0.005, 2)));
        }
        json.Append("\n] }\n");
        return (json.ToString(), symbols);
    }
}
