using System.Diagnostics;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Replay;

namespace Streamer.PerfTests;

/// <summary>The replay measurements replay-throughput and replay-scaling share: parse only, a replay on one or two threads.</summary>
internal static class ReplayMeasure
{
    /// <summary>Reads the whole tape and does nothing with the ticks: the floor a replay is measured against.</summary>
    public static (long Ticks, double Ms) ParseOnly(string path)
    {
        var table = new SymbolTable();
        var watch = Stopwatch.StartNew();
        long parsed = 0;
        using (var only = TapeReader.Open(path, table))
            while (only.TryRead(out _)) parsed++;
        return (parsed, watch.Elapsed.TotalMilliseconds);
    }

    public static ReplayResult Replay(IReadOnlyList<PositionSpec> positions, BookSet books, string path, bool twoThreads)
    {
        var table = new SymbolTable();
        var session = new ReplaySession(positions, books, table);
        if (twoThreads) return session.RunTwoThreads(parserSymbols => TapeReader.Open(path, parserSymbols));
        using var tape = TapeReader.Open(path, table);
        return session.Run(tape);
    }

    /// <summary>The two paths must decide the same exits, byte for byte: a benchmark of a wrong result is no benchmark.</summary>
    public static void CheckIdentical(ReplayResult single, ReplayResult two)
    {
        if (single.Exits.Count != two.Exits.Count)
            throw new InvalidOperationException($"two-thread replay: {two.Exits.Count} exits, single-thread {single.Exits.Count}");
        for (int i = 0; i < single.Exits.Count; i++)
        {
            if (!single.Exits[i].Json.AsSpan().SequenceEqual(two.Exits[i].Json))
                throw new InvalidOperationException($"two-thread replay: exit {i} ({two.Exits[i].Id}) differs from the single-thread one");
        }
    }

    /// <summary>The built-in books, with <c>pricing: { style: european }</c> when asked (Black–Scholes on every option).</summary>
    public static BookSet Books(bool european) =>
        european ? BookSet.Parse("books: {}\npricing: { style: european }\n", "european pricing") : BookSet.BuiltIn;

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
