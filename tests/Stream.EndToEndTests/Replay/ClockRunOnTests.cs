using System.Text.Json;

namespace Streamer.Stream.Tests.Replay;

/// <summary>
/// rules.md "The clock in a replay": after the last tick the clock runs on to the close of that
/// tick's session (or to <c>--until</c>), so a time rule due in that span fires at its own instant
/// with the last marks, as it would live. Before, the clock stopped at the last tick and a day trade
/// whose tape ended at 15:00 was never closed.
/// </summary>
public sealed class ClockRunOnTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-runon-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    // a day trade opened 14:30 ET on Mon 2026-02-02 (EST: 19:30Z); the tape's last tick is 15:00 ET (20:00Z)
    private string Positions() => Write("p.json", """
        { "positions": [ { "id": "DT-1", "book": "day_trade", "opened_at": "2026-02-02T19:30:00Z",
          "legs": [ { "symbol": "TST260220C00100000", "qty": 2, "entry_price": 3.00 } ] } ] }
        """);

    private string Tape() => Write("t.csv", """
        time,symbol,bid,ask,last
        2026-02-02T19:30:00Z,TST,100.00,100.02,
        2026-02-02T19:30:00Z,TST260220C00100000,2.95,3.05,
        2026-02-02T20:00:00Z,TST,100.10,100.12,
        2026-02-02T20:00:00Z,TST260220C00100000,3.05,3.15,
        """);

    private List<JsonElement> Replay(params string[] more)
    {
        var report = Path.Combine(_dir, $"r{Guid.NewGuid():N}.json");
        var (code, _, error) = CliRunner.Run(["replay", "--positions", Positions(), "--ticks", Tape(), "--report", report, "--quiet", .. more]);
        Assert.True(code == 0, error);
        return [.. JsonDocument.Parse(File.ReadAllBytes(report)).RootElement.GetProperty("exits").EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public void A_day_trade_whose_tape_ends_before_the_close_is_closed_at_1555_with_the_last_marks()
    {
        var exit = Assert.Single(Replay());
        Assert.Equal("day_trade_close", exit.GetProperty("rule").GetString());
        Assert.Equal("2026-02-02T20:55:00Z", exit.GetProperty("time").GetString()); // 15:55 EST, at its own instant
        Assert.Equal(3.10, exit.GetProperty("legs")[0].GetProperty("mark").GetDouble(), 6); // the last mid
        Assert.Equal(2, exit.GetProperty("contracts_closed").GetInt32());
    }

    [Fact]
    public void Until_sets_where_the_clock_stops()
    {
        Assert.Empty(Replay("--until", "2026-02-02T20:30:00Z"));                       // 15:30: before the close rule
        Assert.Single(Replay("--until", "2026-02-03T00:00:00Z"));                      // past the close: fires once, at 15:55
        Assert.Empty(Replay("--until", "2026-02-02T19:00:00Z"));                       // before the last tick: the clock never goes back
        var (code, _, error) = CliRunner.Run("replay", "--positions", Positions(), "--ticks", Tape(), "--until", "tomorrow");
        Assert.Equal(2, code);
        Assert.Contains("--until 'tomorrow' is not an RFC 3339 time", error, StringComparison.Ordinal);
    }
}
