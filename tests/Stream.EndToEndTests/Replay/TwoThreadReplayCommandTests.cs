using System.Text.Json;
using Streamer.Feed.Synth;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Tests.Replay;

/// <summary>
/// <c>streamer replay</c> on a tape past <see cref="ReplaySession.TwoThreadMinimumTapeBytes"/> takes
/// the two-thread path: what it prints and writes is what the single-thread replay gives, byte for byte.
/// </summary>
public sealed class TwoThreadReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-replay2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Positions, string Ticks) Workload()
    {
        string positions = Path.Combine(_dir, "positions.json");
        File.WriteAllText(positions, """
            { "positions": [
              { "id": "A-LC", "book": "day_trade", "opened_at": "2026-01-05T14:30:00Z", "legs": [ { "symbol": "AAA260220C00050000", "qty": 3, "entry_price": 1.5 } ] },
              { "id": "A-LP", "book": "day_trade", "opened_at": "2026-01-05T15:00:00Z", "legs": [ { "symbol": "AAA260220P00050000", "qty": 2, "entry_price": 1.4 } ] },
              { "id": "B-PCS", "book": "primary", "opened_at": "2026-01-05T14:30:00Z", "legs": [ { "symbol": "BBB260220P00095000", "qty": -10, "entry_price": 1.2 }, { "symbol": "BBB260220P00090000", "qty": 10, "entry_price": 0.8 } ] },
              { "id": "B-LC", "book": "day_trade", "opened_at": "2026-01-05T16:00:00Z", "legs": [ { "symbol": "BBB260220C00100000", "qty": 4, "entry_price": 3.0 } ] }
            ] }
            """);
        string ticks = Path.Combine(_dir, "ticks.csv");
        var synth = new SynthOptions
        {
            Symbols = ["AAA260220C00050000", "AAA260220P00050000", "AAA260220C00055000", "BBB260220P00095000", "BBB260220P00090000", "BBB260220C00100000", "BBB260220C00105000"],
            Ticks = 40_000, Seed = 3, TicksPerSecond = 8, BadQuoteRate = 0.01,
        };
        using (var f = File.Create(ticks)) SynthTape.Write(synth, f);
        Assert.True(ReplaySession.PrefersTwoThreads(new FileInfo(ticks).Length, TapeFormat.Csv) || Environment.ProcessorCount < 2,
            "the workload tape should be large enough for the two-thread path");
        return (positions, ticks);
    }

    [Fact]
    public void A_large_tape_replays_on_two_threads_to_the_single_thread_output()
    {
        var (positionsPath, ticksPath) = Workload();
        var positions = PositionsFile.Parse(File.ReadAllText(positionsPath), positionsPath);
        var symbols = new SymbolTable();
        var live = new List<string>();
        var session = new ReplaySession(positions, BookSet.BuiltIn, symbols) { OnExit = e => live.Add(ReplayReport.ExitLine(e)) };
        ReplayResult single;
        using (var tape = TapeReader.Open(ticksPath, symbols)) single = session.Run(tape);
        Assert.True(single.Exits.Count >= 2, $"the workload should fire exits, got {single.Exits.Count}");
        var expectedCsv = new StringWriter();
        ReplayReport.WriteCsv(single, expectedCsv);
        var expectedJson = new MemoryStream();
        ReplayReport.WriteJson(single, expectedJson);

        string report = Path.Combine(_dir, "r.json"), csv = Path.Combine(_dir, "r.csv");
        var (code, output, err) = CliRunner.Run("replay", "--positions", positionsPath, "--ticks", ticksPath, "--report", report, "--csv", csv);
        Assert.True(code == 0, err);

        Assert.Equal(live, output.Split('\n').Take(live.Count).Select(l => l.TrimEnd('\r')));
        Assert.Equal(expectedCsv.ToString(), File.ReadAllText(csv));
        var expected = JsonDocument.Parse(expectedJson.ToArray()).RootElement;
        var actual = JsonDocument.Parse(File.ReadAllBytes(report)).RootElement;
        Assert.Equal(expected.GetProperty("exits").GetRawText(), actual.GetProperty("exits").GetRawText());
        Assert.Equal(expected.GetProperty("positions").GetRawText(), actual.GetProperty("positions").GetRawText());
        foreach (var count in new[] { "ticks", "exits", "positions", "symbols", "insane_quotes_ignored", "out_of_order_ignored", "iv_failures", "deferred_to_open" })
            Assert.Equal(expected.GetProperty("stats").GetProperty(count).GetInt64(), actual.GetProperty("stats").GetProperty(count).GetInt64());
        Assert.True(actual.GetProperty("stats").GetProperty("insane_quotes_ignored").GetInt64() > 0);
    }

    [Fact]
    public void A_bad_row_deep_in_a_large_tape_is_named_by_file_and_line()
    {
        var (positionsPath, ticksPath) = Workload();
        var lines = File.ReadAllLines(ticksPath);
        lines[35_000] = lines[35_000].Split(',')[0] + ",AAA,1.00,x,";
        File.WriteAllLines(ticksPath, lines);

        var (code, _, err) = CliRunner.Run("replay", "--positions", positionsPath, "--ticks", ticksPath, "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("ticks.csv:35001", err, StringComparison.Ordinal);
        Assert.Contains("ask", err, StringComparison.Ordinal);
    }
}
