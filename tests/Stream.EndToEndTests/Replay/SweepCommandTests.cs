using System.Text.Json;

namespace Streamer.Stream.Tests.Replay;

/// <summary><c>streamer sweep</c> on the demo session: every combination of a grid, over one parse of the tape, deterministic, each variant a true replay.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-sweep-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string DemoFile(string name) =>
        Streamer.Stream.Tests.Run.RunTestData.RepoFile("src", "Stream", "samples", "demo", name);

    private (int Code, string Out, string Err, JsonElement Report) Sweep(string grid)
    {
        var report = Path.Combine(_dir, $"s{Guid.NewGuid():N}.json");
        var (code, output, error) = CliRunner.Run("sweep", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--grid", Write($"g{Guid.NewGuid():N}.yaml", grid), "--report", report);
        return (code, output, error, code == 0 ? JsonDocument.Parse(File.ReadAllBytes(report)).RootElement.Clone() : default);
    }

    [Fact]
    public void A_variant_with_the_positions_own_values_is_the_plain_replay()
    {
        var replayReport = Path.Combine(_dir, "replay.json");
        Assert.Equal(0, CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--report", replayReport, "--quiet").Code);
        var replay = JsonDocument.Parse(File.ReadAllBytes(replayReport)).RootElement;
        double realized = replay.GetProperty("positions").EnumerateArray().Sum(p => p.GetProperty("realized_pnl").GetDouble());

        // META-1's own overrides are gain_pct 0.31 and trail_pct 0.10: this one-variant grid changes nothing
        var (code, _, error, report) = Sweep("day_trade.premium_target.gain_pct: [0.31]\ntrailing_stop.trail_pct: [0.10]\n");
        Assert.True(code == 0, error);
        var only = Assert.Single(report.GetProperty("variants").EnumerateArray());
        Assert.Equal(realized, only.GetProperty("realized_pnl").GetDouble(), 2);
        Assert.Equal(replay.GetProperty("exits").GetArrayLength(), only.GetProperty("exits").GetInt32());
        var byRule = replay.GetProperty("exits").EnumerateArray().GroupBy(e => e.GetProperty("rule").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(byRule, only.GetProperty("exits_by_rule").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()));
    }

    [Fact]
    public void Every_combination_runs_in_grid_order_the_same_way_twice_and_the_best_is_named_with_its_bias()
    {
        const string grid = "day_trade.premium_target.gain_pct: [0.3, 0.5, 0.8]\ntrailing_stop.trail_pct: [0.10, 0.15]\n";
        var first = Sweep(grid);
        Assert.True(first.Code == 0, first.Err);
        var variants = first.Report.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(6, variants.Count);
        Assert.Equal(["0.3/0.10", "0.3/0.15", "0.5/0.10", "0.5/0.15", "0.8/0.10", "0.8/0.15"],
            variants.Select(v => v.GetProperty("values").GetProperty("day_trade.premium_target.gain_pct").GetString() + "/" + v.GetProperty("values").GetProperty("trailing_stop.trail_pct").GetString()));
        // the values reach the engine: a 30% target exits META by premium_target, 50% and 80% do not get there
        Assert.Equal(1, variants[0].GetProperty("exits_by_rule").GetProperty("premium_target").GetInt32());
        Assert.False(variants[3].GetProperty("exits_by_rule").TryGetProperty("premium_target", out _));
        Assert.NotEqual(variants[2].GetProperty("realized_pnl").GetDouble(), variants[3].GetProperty("realized_pnl").GetDouble()); // the trail matters once the target is out of reach
        int best = first.Report.GetProperty("best").GetInt32();
        Assert.Equal(variants.Max(v => v.GetProperty("realized_pnl").GetDouble()), variants[best].GetProperty("realized_pnl").GetDouble());
        Assert.Contains($"best: #{best} ", first.Out, StringComparison.Ordinal);
        Assert.Contains("biased upward", first.Out, StringComparison.Ordinal);

        var second = Sweep(grid);
        Assert.Equal(first.Report.GetRawText(), second.Report.GetRawText());
    }

    [Theory]
    [InlineData("trailing_stops.trail_pct: [0.1]\n", "unknown rule 'trailing_stops'")]
    [InlineData("trailing_stop.trail_pct: [1.5]\n", "trail_pct")]
    [InlineData("primary.trailing_stop.trail_pct: [0.1]\n", "no book runs trailing_stop ('primary' does not)")]
    [InlineData("trail_pct: [0.1]\n", "expected rule.parameter or book.rule.parameter")]
    [InlineData("trailing_stop.trail_pct: 0.1\n", "expected a non-empty list of values")]
    public void A_bad_grid_is_one_line_naming_the_key(string grid, string expected)
    {
        var (code, _, error, _) = Sweep(grid);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }
}
