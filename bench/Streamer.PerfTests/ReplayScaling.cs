using System.Globalization;
using System.Text;
using Streamer.Feed.Synth;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;

namespace Streamer.PerfTests;

/// <summary>
/// How replay throughput scales with the book: 1, 10 and 100 positions per underlying (on 10
/// underlyings), then 1,000 / 10,000 / 100,000 positions in all (100 underlyings × 10, 100 × 100,
/// 1,000 × 100). The tape has replay-throughput's shape (synth: GBM underlyings, each move followed
/// by its options' requotes); every configuration is replayed on two threads from a CSV tape, after
/// a parse-only pass of the same tape, in the same run. The tick count per configuration shrinks as
/// the book grows (an underlying tick reprices every position on it), so the whole run stays a few minutes.
/// <c>--european</c>: <c>pricing: { style: european }</c>.
/// </summary>
internal static class ReplayScaling
{
    private sealed record Config(string Label, int Underlyings, int PerUnderlying, long Ticks);

    public static int Run(string[] args)
    {
        bool european = args.Contains("--european");
        args = args.Where(a => a != "--european").ToArray();
        double scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var books = ReplayMeasure.Books(european);
        Config[] configs =
        [
            new("1 per underlying (10 underlyings)", 10, 1, 200_000),
            new("10 per underlying (10 underlyings)", 10, 10, 200_000),
            new("100 per underlying (10 underlyings)", 10, 100, 100_000),
            new("1k positions (100 × 10)", 100, 10, 200_000),
            new("10k positions (100 × 100)", 100, 100, 100_000),
            new("100k positions (1,000 × 100)", 1_000, 100, 50_000),
        ];
        string dir = Path.Combine(Path.GetTempPath(), $"streamer-scaling-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        Console.WriteLine($"pricing: {(european ? "european" : "default (American for equity options)")}; {Environment.ProcessorCount} cores; two-thread replay of a CSV tape, best of 2 after a warm-up");
        Console.WriteLine("| book | positions | ticks | parse only ticks/s | replay ticks/s | replay/parse | engine ns/tick p50 | p99 | exits |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var overall = System.Diagnostics.Stopwatch.StartNew();
        foreach (var c in configs)
        {
            long ticks = Math.Max(10_000, (long)(c.Ticks * scale));
            var (json, symbols) = Workload(c.Underlyings, c.PerUnderlying);
            var positions = PositionsFile.Parse(json, "scaling.json");
            string tape = Path.Combine(dir, $"ticks-{c.Underlyings}x{c.PerUnderlying}.csv");
            var synth = new SynthOptions { Symbols = symbols, Ticks = ticks, Seed = 42, TicksPerSecond = 400, Start = new DateOnly(2026, 1, 5) };
            using (var f = File.Create(tape)) SynthTape.Write(synth, f);

            // a warm-up on the first configuration only (the JIT), then two measured runs; the better of the two
            int runs = c == configs[0] ? 3 : 2;
            double parseMs = double.MaxValue;
            Streamer.Stream.Replay.ReplayResult? best = null;
            for (int run = 0; run < runs; run++)
            {
                var (_, ms) = ReplayMeasure.ParseOnly(tape);
                var result = ReplayMeasure.Replay(positions, books, tape, twoThreads: true);
                if (runs == 3 && run == 0) continue;
                parseMs = Math.Min(parseMs, ms);
                if (best is null || result.Stats.ElapsedMs < best.Stats.ElapsedMs) best = result;
            }
            var s = best!.Stats;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Label} | {positions.Count:N0} | {s.Ticks:N0} | {s.Ticks / (parseMs / 1000):N0} | {s.TicksPerSecond:N0} | {s.ElapsedMs / parseMs:F2} | {s.TickP50Ns:N0} | {s.TickP99Ns:N0} | {s.Exits:N0} |"));
            File.Delete(tape);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay-scaling: {overall.Elapsed.TotalSeconds:F0} s in all"));
        return 0;
    }

    /// <summary>
    /// <paramref name="perUnderlying"/> positions on each of <paramref name="underlyings"/> underlyings: replay-throughput's
    /// ten shapes (long calls and puts, put credit and call debit spreads, an iron condor) in turn, each
    /// further round one strike step further out, so the options differ and the chain widens with the book.
    /// </summary>
    internal static (string Json, List<string> Symbols) Workload(int underlyings, int perUnderlying)
    {
        var symbols = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        var json = new StringBuilder("{ \"positions\": [\n");
        var inv = CultureInfo.InvariantCulture;
        bool first = true;
        string digits = "D" + Math.Max(2, (underlyings - 1).ToString(inv).Length).ToString(inv);
        for (int u = 0; u < underlyings; u++)
        {
            string root = "U" + u.ToString(digits, inv);
            symbols.Add(root);
            double spot = 40 + 5 * (u % 200);
            double step = spot >= 100 ? 5 : 1;
            double atm = Math.Round(spot / step) * step;
            var exp = new DateOnly(2026, 2, 20).AddDays(7 * (u % 4));
            string Sym(OptionRight r, double k) { var s = OccSymbol.Create(root, exp, r, k).ToString(); if (known.Add(s)) symbols.Add(s); return s; }
            void Add(string id, string book, params (string Sym, int Qty, double Entry)[] legs)
            {
                json.Append(first ? "  " : ",\n  ");
                first = false;
                json.Append(inv, $"{{ \"id\": \"{id}\", \"book\": \"{book}\", \"opened_at\": \"2026-01-05T14:30:00Z\", \"legs\": [");
                json.Append(string.Join(", ", legs.Select(l => string.Create(inv, $"{{ \"symbol\": \"{l.Sym}\", \"qty\": {l.Qty}, \"entry_price\": {l.Entry} }}"))));
                json.Append("] }");
            }
            for (int j = 0; j < perUnderlying; j++)
            {
                int shape = j % 10;
                // rounds alternate sides of the money, so the chain stays centred on the spot (synth's spot is its median strike)
                int round = j / 10;
                double o = (round % 2 == 0 ? 1 : -1) * ((round + 1) / 2) * step;
                string id = $"{root}-{j}";
                switch (shape)
                {
                    case 0 or 1: Add(id, "day_trade", (Sym(OptionRight.Call, atm + o + shape * step), 2 + shape, Math.Round(spot * 0.03, 2))); break;
                    case 2 or 3: Add(id, "day_trade", (Sym(OptionRight.Put, atm + o - (shape - 2) * step), 3, Math.Round(spot * 0.028, 2))); break;
                    case 4 or 5 or 6:
                        int i = shape - 4;
                        Add(id, "primary", (Sym(OptionRight.Put, atm + o - (2 + i) * step), -10, Math.Round(spot * 0.012, 2)), (Sym(OptionRight.Put, atm + o - (3 + i) * step), 10, Math.Round(spot * 0.008, 2)));
                        break;
                    case 7 or 8:
                        int d = shape - 7;
                        Add(id, "day_trade", (Sym(OptionRight.Call, atm + o + d * step), 5, Math.Round(spot * 0.03, 2)), (Sym(OptionRight.Call, atm + o + (d + 2) * step), -5, Math.Round(spot * 0.015, 2)));
                        break;
                    default:
                        Add(id, "income_pop",
                            (Sym(OptionRight.Put, atm + o - 4 * step), 4, Math.Round(spot * 0.005, 2)), (Sym(OptionRight.Put, atm + o - 3 * step), -4, Math.Round(spot * 0.008, 2)),
                            (Sym(OptionRight.Call, atm + o + 3 * step), -4, Math.Round(spot * 0.008, 2)), (Sym(OptionRight.Call, atm + o + 4 * step), 4, Math.Round(spot * 0.005, 2)));
                        break;
                }
            }
        }
        json.Append("\n] }\n");
        return (json.ToString(), symbols);
    }
}
