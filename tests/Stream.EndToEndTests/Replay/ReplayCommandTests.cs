using System.Text.Json;

namespace Streamer.Stream.Tests.Replay;

public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string DemoFile(string name) =>
        Streamer.Stream.Tests.Run.RunTestData.RepoFile("src", "Stream", "samples", "demo", name);

    [Fact]
    public void Replaying_the_same_tape_twice_writes_byte_identical_exits()
    {
        string r1 = Path.Combine(_dir, "r1.json"), r2 = Path.Combine(_dir, "r2.json");
        string c1 = Path.Combine(_dir, "r1.csv"), c2 = Path.Combine(_dir, "r2.csv");
        Assert.Equal(0, CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--report", r1, "--csv", c1, "--quiet").Code);
        Assert.Equal(0, CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--report", r2, "--csv", c2, "--quiet").Code);
        string Exits(string path) => JsonDocument.Parse(File.ReadAllBytes(path)).RootElement.GetProperty("exits").GetRawText();
        Assert.Equal(Exits(r1), Exits(r2));
        Assert.Equal(File.ReadAllBytes(c1), File.ReadAllBytes(c2));
    }

    [Fact]
    public void The_report_follows_the_formats_contract()
    {
        string report = Path.Combine(_dir, "r.json");
        var (code, output, _) = CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--report", report);
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(File.ReadAllBytes(report)).RootElement;

        var exits = root.GetProperty("exits").EnumerateArray().ToList();
        Assert.NotEmpty(exits);
        string[] fields = ["id", "position_id", "underlying", "rule", "reason", "time", "contracts_closed", "contracts_remaining",
            "contracts_original", "legs", "underlying_price", "value", "pnl", "pnl_pct", "pct_max_profit", "greeks", "latency_ns"];
        foreach (var e in exits)
        {
            foreach (var f in fields) Assert.True(e.TryGetProperty(f, out _), $"exit lacks '{f}': {e}");
            Assert.Equal($"{e.GetProperty("position_id").GetString()}:", e.GetProperty("id").GetString()![..(e.GetProperty("position_id").GetString()!.Length + 1)]);
            foreach (var g in new[] { "delta", "gamma", "theta", "vega" }) Assert.True(e.GetProperty("greeks").TryGetProperty(g, out _));
        }
        // in time order, ids unique
        var times = exits.Select(e => e.GetProperty("time").GetDateTime()).ToList();
        Assert.Equal(times.OrderBy(t => t), times);
        Assert.Equal(exits.Count, exits.Select(e => e.GetProperty("id").GetString()).Distinct().Count());

        // the 10-lot SPY put credit spread scales out 4 / 4 / 2 and the closing legs buy back the short, sell the long
        var spy = exits.Where(e => e.GetProperty("position_id").GetString() == "SPY-PCS-1").ToList();
        Assert.Equal([4, 4, 2], spy.Select(e => e.GetProperty("contracts_closed").GetInt32()));
        Assert.Equal([6, 2, 0], spy.Select(e => e.GetProperty("contracts_remaining").GetInt32()));
        var legs = spy[1].GetProperty("legs").EnumerateArray().ToList();
        Assert.Equal(("SPY260220P00580000", 4), (legs[0].GetProperty("symbol").GetString(), legs[0].GetProperty("qty").GetInt32()));
        Assert.Equal(("SPY260220P00575000", -4), (legs[1].GetProperty("symbol").GetString(), legs[1].GetProperty("qty").GetInt32()));
        // pnl of the tranche = closed contracts × (credit − debit to close) × 100, from the event's own marks
        double debit = legs[0].GetProperty("mark").GetDouble() - legs[1].GetProperty("mark").GetDouble();
        Assert.Equal(4 * (0.73 - debit) * 100, spy[1].GetProperty("pnl").GetDouble(), 6);
        Assert.True(spy[1].GetProperty("pct_max_profit").GetDouble() >= 0.75);

        // the seed's META trade: 6 contracts from 17.15 to 22.50 = +$3,210
        var meta = Assert.Single(exits, e => e.GetProperty("position_id").GetString() == "META-1");
        Assert.Equal(22.50, meta.GetProperty("legs")[0].GetProperty("mark").GetDouble());
        Assert.Equal(-6, meta.GetProperty("legs")[0].GetProperty("qty").GetInt32());
        Assert.Equal(3210.0, meta.GetProperty("pnl").GetDouble());

        var positions = root.GetProperty("positions").EnumerateArray().ToList();
        Assert.Equal(3, positions.Count);
        foreach (var p in positions)
        {
            Assert.Equal("closed", p.GetProperty("status").GetString());
            Assert.Equal(0, p.GetProperty("contracts_remaining").GetInt32());
        }
        var stats = root.GetProperty("stats");
        Assert.True(stats.GetProperty("ticks").GetInt64() > 3000);
        Assert.Equal(exits.Count, stats.GetProperty("exits").GetInt32());
        Assert.True(stats.GetProperty("ticks_per_second").GetDouble() > 0);
        Assert.Equal(2, stats.GetProperty("insane_quotes_ignored").GetInt32());
        Assert.Contains("CLOSING: SPY put_credit - Profit target (75% of max)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_tape_row_is_an_error_naming_file_and_line()
    {
        var positions = Write("p.json", File.ReadAllText(DemoFile("positions.json")));
        var ticks = Write("t.csv", "time,symbol,bid,ask,last\n2026-01-29T16:36:40Z,META,720.9,721.0,\n2026-01-29T16:36:41Z,META,72x,721.0,\n");
        var (code, _, err) = CliRunner.Run("replay", "--positions", positions, "--ticks", ticks, "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("t.csv:3", err, StringComparison.Ordinal);
        Assert.Contains("bid", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_book_is_an_error_naming_it()
    {
        var positions = Write("p.json", """{ "positions": [ { "id": "X-1", "book": "yolo", "legs": [ { "symbol": "SPY", "qty": 100, "entry_price": 600 } ] } ] }""");
        var ticks = Write("t.csv", "time,symbol,bid,ask,last\n2026-01-29T16:36:40Z,SPY,600,600.02,\n");
        var (code, _, err) = CliRunner.Run("replay", "--positions", positions, "--ticks", ticks);
        Assert.Equal(2, code);
        Assert.Contains("yolo", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_and_unknown_options_are_named()
    {
        var (code, _, err) = CliRunner.Run("replay", "--positions", Path.Combine(_dir, "nope.json"), "--ticks", "x.csv");
        Assert.Equal(2, code);
        Assert.Contains("nope.json", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run("replay", "--positions", "a", "--ticks", "b", "--frobnicate", "1");
        Assert.Equal(2, code);
        Assert.Contains("--frobnicate", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_demo_runs_offline_and_catches_the_seeds_missed_exit()
    {
        var (code, output, err) = CliRunner.Run("demo");
        Assert.True(code == 0, err);
        Assert.Contains("CLOSING: META long_call", output, StringComparison.Ordinal);
        Assert.Contains("P&L: $3,210.00 - Closed 6/6 contracts", output, StringComparison.Ordinal);
        Assert.Contains("Closed 4/10 contracts", output, StringComparison.Ordinal);
        Assert.Contains("Closed 2/10 contracts", output, StringComparison.Ordinal);
        Assert.Contains("15:55:00 ET", output, StringComparison.Ordinal); // QCOM's day-trade close from the clock
        Assert.Contains("never traded", output, StringComparison.Ordinal);
    }
}
