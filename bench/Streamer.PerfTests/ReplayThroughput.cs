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
/// <c>--style american|european|both</c> (default american, the books' default for equity options):
/// <c>both</c> replays the same tapes priced each way in one process, so the ratio of the two is
/// measured under the same load on a shared machine.
/// </summary>
internal static class ReplayThroughput
{
    public static int Run(string[] args)
    {
        string style = "american";
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
        string dir = Path.Combine(Path.GetTempPath(), "streamer-throughput");
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
        ReplayResult? best = null;
        foreach (string pricing in styles)
        {
            var books = BookSet.BuiltIn;
            // european: Black–Scholes on every leg (pricing.style: european in a books file)
            if (pricing == "european") books.Pricing.DefaultStyle = ExerciseStyle.European;
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
            ReplayResult? bestOfTape = null;
            double parseBest = double.MaxValue;
            for (int run = 0; run < 3; run++)
            {
                // the baseline, in the same run: only parsing the tape
                var parseTable = new SymbolTable();
                var watch = System.Diagnostics.Stopwatch.StartNew();
                long parsed = 0;
                using (var only = Streamer.Feed.Tapes.TapeReader.Open(path, parseTable))
                    while (only.TryRead(out _)) parsed++;
                double parseMs = watch.Elapsed.TotalMilliseconds;

                var table = new SymbolTable();
                var session = new ReplaySession(positions, books, table);
                using var tape = Streamer.Feed.Tapes.TapeReader.Open(path, table);
                var result = session.Run(tape);
                var s = result.Stats;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{pricing} {name} run {run}: {s.Ticks:N0} ticks, {s.Exits} exits, {s.ElapsedMs:F0} ms, {s.TicksPerSecond:N0} ticks/s; parse only {parseMs:F0} ms ({parsed / (parseMs / 1000):N0} ticks/s), replay/parse {s.ElapsedMs / parseMs:F2}; engine per tick p50 {s.TickP50Ns} ns p99 {s.TickP99Ns} ns p99.9 {s.TickP999Ns} ns"));
                if (run > 0 && (bestOfTape is null || s.TicksPerSecond > bestOfTape.Stats.TicksPerSecond)) { bestOfTape = result; parseBest = parseMs; }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pricing} {name}: replay {bestOfTape!.Stats.TicksPerSecond:N0} ticks/s, replay/parse {bestOfTape.Stats.ElapsedMs / parseBest:F2}"));
            if (name == "csv") best = bestOfTape;
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
