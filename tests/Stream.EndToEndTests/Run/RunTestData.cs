using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// A synthetic session for the crash and outage tests: two stocks rising in even steps over a long
/// tape, 20 long positions each whose targets the price crosses one after another, so exits come
/// steadily through the whole tape and a crash or an outage lands between two of them. Only tick
/// rules (underlying stop/target): the same exits at any Feed:Speed.
/// </summary>
internal sealed class RampSession
{
    public const int TicksPerSymbol = 1200;
    public const int PositionsPerSymbol = 20;
    private static readonly string[] Symbols = ["AAA", "BBB"];

    private RampSession(string dir)
    {
        Tape = Path.Combine(dir, "ramp.csv");
        PositionsFile = Path.Combine(dir, "ramp-positions.json");
        BooksFile = Path.Combine(dir, "ramp-books.yaml");
    }

    public string Tape { get; }

    public string PositionsFile { get; }

    public string BooksFile { get; }

    public int ExpectedExits => Symbols.Length * PositionsPerSymbol;

    public static RampSession Write(string dir)
    {
        var s = new RampSession(dir);
        var start = new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc); // 10:00 ET, a Monday
        var tape = new StringBuilder("time,symbol,bid,ask,last\n");
        for (int k = 0; k < TicksPerSymbol; k++)
        {
            for (int u = 0; u < Symbols.Length; u++)
            {
                // 50 ms of tape per step; BBB a little behind AAA so their exits interleave
                var t = start.AddMilliseconds(k * 50 + u * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                double p = 100 + 0.01 * k - 0.003 * u;
                tape.Append(CultureInfo.InvariantCulture, $"{t},{Symbols[u]},{p - 0.01:0.000},{p + 0.01:0.000},{p:0.000}\n");
            }
        }
        File.WriteAllText(s.Tape, tape.ToString());
        var positions = new StringBuilder("{ \"positions\": [\n");
        bool first = true;
        foreach (var sym in Symbols)
        {
            for (int i = 0; i < PositionsPerSymbol; i++)
            {
                if (!first) positions.Append(",\n");
                first = false;
                double target = 100.5 + 0.5 * i;
                positions.Append(CultureInfo.InvariantCulture,
                    $"{{ \"id\": \"{sym}-{i + 1}\", \"book\": \"ticks_only\", \"opened_at\": \"2026-02-02T14:59:00Z\", \"underlying_entry\": 100, \"stop_underlying\": 90, \"target_underlying\": {target:0.00}, \"legs\": [ {{ \"symbol\": \"{sym}\", \"qty\": 100, \"entry_price\": 100 }} ] }}");
            }
        }
        positions.Append("\n] }\n");
        File.WriteAllText(s.PositionsFile, positions.ToString());
        File.WriteAllText(s.BooksFile, "books:\n  ticks_only:\n    rules:\n      underlying_stop: {}\n      underlying_target: {}\n");
        return s;
    }

    /// <summary>The uninterrupted reference: <c>streamer replay</c>'s session over the same files.</summary>
    public IReadOnlyList<ExitRecord> ReplayExits() => RunTestData.Replay(PositionsFile, Tape, BooksFile);
}

internal static class RunTestData
{
    /// <summary>The reconciler's passes, from the heartbeat: "two more passes" is a condition, not a guess at wall-clock time.</summary>
    public static long ReconcilePasses(Collector beats) => beats.Messages.Select(m => System.Text.Json.JsonDocument.Parse(m.Data).RootElement)
        .Select(b => b.TryGetProperty("alpaca_trading", out var t) && t.TryGetProperty("reconcile_passes", out var p) ? p.GetInt64() : 0)
        .DefaultIfEmpty(0).Max();

    /// <summary>An emulator tape of AAPL quotes (a cent wide) walking evenly from <paramref name="from"/> to <paramref name="to"/> in 10 ms steps.</summary>
    public static Streamer.Stream.Emulator.EmulatorTape AaplRamp(long t0, double from, double to, int steps)
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL");
        var ticks = Enumerable.Range(0, steps)
            .Select(k => from + (to - from) * k / (steps - 1))
            .Select((mid, k) => Streamer.Rules.Market.Tick.Quote(t0 + k * 10_000_000L, aapl, Math.Round(mid - 0.01, 2), Math.Round(mid + 0.01, 2)))
            .ToList();
        return Streamer.Stream.Emulator.EmulatorTape.FromTicks(symbols, ticks);
    }

    public static string RepoFile(params string[] parts) =>
        Path.GetFullPath(Path.Combine([AppContext.BaseDirectory, "..", "..", "..", "..", "..", .. parts]));

    public static string DemoTape => RepoFile("src", "Stream", "samples", "demo", "ticks.csv");

    public static string DemoPositions => RepoFile("src", "Stream", "samples", "demo", "positions.json");

    public static IReadOnlyList<ExitRecord> Replay(string positionsFile, string tape, string? booksFile = null)
    {
        var books = booksFile is null ? BookSet.BuiltIn : BookSet.Parse(File.ReadAllText(booksFile), booksFile);
        var symbols = new SymbolTable();
        var session = new ReplaySession(Streamer.Rules.Positions.PositionsFile.Parse(File.ReadAllText(positionsFile), positionsFile), books, symbols);
        using var reader = TapeReader.Open(tape, symbols);
        return session.Run(reader).Exits;
    }

    /// <summary>An exit event without its measured latency (the one field that differs run to run).</summary>
    public static string WithoutLatency(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o.Remove("latency_ns");
        return o.ToJsonString();
    }

    public static string WithoutLatency(byte[] json) => WithoutLatency(Encoding.UTF8.GetString(json));

    /// <summary>The exit ids the journal file holds, in the order they were decided (read-only: the service may still be writing).</summary>
    /// <summary>The widest crash window: every exit journaled as if its ack never came back (run 2 must publish them all again). Returns how many.</summary>
    public static int ForgetAcks(string journalPath)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = journalPath, Pooling = false }.ToString();
        using var db = new SqliteConnection(cs);
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = "SELECT COUNT(*) FROM exits";
        int exits = Convert.ToInt32(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        c.CommandText = "DELETE FROM exit_acks; DELETE FROM trading_state WHERE key = 'acked_through_ord'";
        c.ExecuteNonQuery();
        return exits;
    }

    public static List<string> JournaledExitIds(string journalPath)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = journalPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var db = new SqliteConnection(cs);
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = "SELECT id FROM exits ORDER BY rowid";
        var ids = new List<string>();
        using var r = c.ExecuteReader();
        while (r.Read()) ids.Add(r.GetString(0));
        return ids;
    }

    public static int JournaledExitCount(string journalPath)
    {
        try
        {
            return JournaledExitIds(journalPath).Count;
        }
        catch (SqliteException)
        {
            return 0; // not created yet
        }
    }
}

/// <summary>Everything published on a subject pattern, in arrival order.</summary>
internal sealed class Collector : IDisposable
{
    private readonly ConcurrentQueue<BusMessage> _messages = new();
    private readonly IDisposable _subscription;

    public Collector(IMessageBus bus, string subject) => _subscription = bus.Subscribe(subject, _messages.Enqueue);

    public IReadOnlyList<BusMessage> Messages => [.. _messages];

    public int Count => _messages.Count;

    public void Dispose() => _subscription.Dispose();
}
