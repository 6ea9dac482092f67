using Microsoft.Data.Sqlite;
using Streamer.Rules.Engine;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// The trailing stop's peak is rule state reached without an exit: <c>streamer run</c> journals it every
/// <c>Journal:StateSaveMilliseconds</c>. A crash (kill -9) after the peak and a restart that resumes from
/// the journal (what a live feed does) must trail from the peak the position really reached.
/// </summary>
public sealed class TrailingStateRestartTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    // a long stock position on the built-in day_trade book: trailing_stop activates at +20 % (value 120) and
    // fires 15 % under the peak. Part 1 climbs to the peak (140: the stop is 119) with no exit; part 2 opens
    // below the peak and pulls back. Trailing from 140 it fires at 118.50; trailing from a forgotten peak
    // (restarted fresh, part 2's 135 is the peak: stop 114.75) it would fire at 114.00 instead.
    private const string Positions = """
        { "positions": [ { "id": "TR-1", "book": "day_trade", "opened_at": "2026-01-06T15:00:00Z",
                           "legs": [ { "symbol": "ACME", "qty": 100, "entry_price": 100.00 } ] } ] }
        """;

    private static readonly string[] Part1 =
    [
        "2026-01-06T15:00:00Z,ACME,99.99,100.01,",
        "2026-01-06T15:01:00Z,ACME,109.99,110.01,",
        "2026-01-06T15:02:00Z,ACME,124.99,125.01,", // activated (peak 125)
        "2026-01-06T15:03:00Z,ACME,131.99,132.01,",
        "2026-01-06T15:04:00Z,ACME,139.99,140.01,", // the peak: 140 (+40 %, under day_trade's 50 % premium target)
        "2026-01-06T15:05:00Z,ACME,137.99,138.01,",
    ];

    private static readonly string[] Part2 =
    [
        "2026-01-06T15:10:00Z,ACME,134.99,135.01,",
        "2026-01-06T15:11:00Z,ACME,129.99,130.01,",
        "2026-01-06T15:12:00Z,ACME,124.99,125.01,",
        "2026-01-06T15:13:00Z,ACME,119.99,120.01,",
        "2026-01-06T15:14:00Z,ACME,118.49,118.51,", // 15 % under 140
        "2026-01-06T15:15:00Z,ACME,115.99,116.01,",
        "2026-01-06T15:16:00Z,ACME,113.99,114.01,", // 15 % under 135
        "2026-01-06T15:17:00Z,ACME,109.99,110.01,",
    ];

    private const string Header = "time,symbol,bid,ask,last";

    private static string[] Args(NatsServerFixture server, string journal, params string[] more) =>
        ["run", $"--Nats:Url={server.Url}", $"--Journal:Path={journal}", "--Heartbeat:IntervalSeconds=0.5", .. more];

    [Fact]
    public async Task Killed_after_a_trailing_peak_and_restarted_from_the_journal_the_stop_fires_where_the_uninterrupted_run_fires_it()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("positions.json"), Positions);
        File.WriteAllLines(dir.File("part1.csv"), [Header, .. Part1]);
        File.WriteAllLines(dir.File("part2.csv"), [Header, .. Part2]);
        File.WriteAllLines(dir.File("whole.csv"), [Header, .. Part1, .. Part2]);
        var uninterrupted = Assert.Single(RunTestData.Replay(dir.File("positions.json"), dir.File("whole.csv")));
        var forgotten = Assert.Single(RunTestData.Replay(dir.File("positions.json"), dir.File("part2.csv")));
        // the case discriminates: the uninterrupted run fires on the pullback from 140, a fresh restart elsewhere
        Assert.Equal("TR-1:1", uninterrupted.Id);
        Assert.Equal("trailing_stop", uninterrupted.Rule);
        Assert.Equal(NanoTime.ParseRfc3339("2026-01-06T15:14:00Z"), uninterrupted.TimeNs);
        Assert.Equal("trailing_stop", forgotten.Rule);
        Assert.Equal(NanoTime.ParseRfc3339("2026-01-06T15:16:00Z"), forgotten.TimeNs);

        using var server = new NatsServerFixture();
        var journalPath = dir.File("j.db");
        using (var run1 = StreamerProcess.Start(dir.Path, Args(server, journalPath,
            $"--Feed:Tape={dir.File("part1.csv")}", "--Feed:Speed=0", $"--Positions:File={dir.File("positions.json")}",
            "--Journal:StateSaveMilliseconds=100")))
        {
            // the peak is journaled by the timer (no exit carries it), then the process dies with no chance to save anything
            await Waits.UntilAsync(() => SavedState(journalPath) is { TrailingActive: true } s && s.TrailingPeakPerContract > 139.999 || run1.HasExited,
                "the trailing peak of 140 journaled", Long);
            Assert.False(run1.HasExited, run1.Output);
            run1.Crash();
            Assert.Empty(RunTestData.JournaledExitIds(journalPath));
        }
        var saved = SavedState(journalPath);
        Assert.NotNull(saved);
        Assert.Equal(140.0, saved.Value.TrailingPeakPerContract, 6); // the mid at the peak, per share
        Assert.Equal(1, saved.Value.NextSequence);
        Assert.Equal(100, saved.Value.ContractsRemaining);

        await RestartOnPart2AndAssertTheUninterruptedExitAsync(dir, server, journalPath, uninterrupted);
    }

    [Fact]
    public async Task A_run_that_ends_with_its_tape_journals_the_peak_it_reached_before_it_stops()
    {
        // Feed:ExitWhenDone with the default save interval (1 s): the tape is consumed well within it, so only
        // the save on the way out can carry the peak to the next run (a session split across runs)
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("positions.json"), Positions);
        File.WriteAllLines(dir.File("part1.csv"), [Header, .. Part1]);
        File.WriteAllLines(dir.File("part2.csv"), [Header, .. Part2]);
        File.WriteAllLines(dir.File("whole.csv"), [Header, .. Part1, .. Part2]);
        var uninterrupted = Assert.Single(RunTestData.Replay(dir.File("positions.json"), dir.File("whole.csv")));
        using var server = new NatsServerFixture();
        var journalPath = dir.File("j.db");

        var (code1, out1) = await StreamerProcess.RunAsync(dir.Path, Args(server, journalPath,
            $"--Feed:Tape={dir.File("part1.csv")}", "--Feed:Speed=0", $"--Positions:File={dir.File("positions.json")}", "--Feed:ExitWhenDone=true"));
        Assert.True(code1 == 0, out1);
        var saved = SavedState(journalPath);
        Assert.NotNull(saved);
        Assert.True(saved.Value.TrailingActive);
        Assert.Equal(140.0, saved.Value.TrailingPeakPerContract, 6);

        await RestartOnPart2AndAssertTheUninterruptedExitAsync(dir, server, journalPath, uninterrupted);
    }

    private static async Task RestartOnPart2AndAssertTheUninterruptedExitAsync(TempDirectory dir, NatsServerFixture server, string journalPath, Streamer.Stream.Replay.ExitRecord uninterrupted)
    {
        // restarted on the same journal with a feed that continues where run 1 stopped (Journal:RestoreState=true: what a live restart does)
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, Args(server, journalPath,
            $"--Feed:Tape={dir.File("part2.csv")}", "--Feed:Speed=0", $"--Positions:File={dir.File("positions.json")}",
            "--Feed:ExitWhenDone=true", "--Journal:RestoreState=true"));
        Assert.True(code == 0, output);

        using var bus = await TestBus.ConnectedAsync(server.Url);
        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        var exit = Assert.Single(onStream);
        Assert.Equal(NatsSubjects.Exits("ACME"), exit.Subject);
        // field for field the uninterrupted run's exit: same tick, same value, same P&L
        Assert.Equal(RunTestData.WithoutLatency(uninterrupted.Json), RunTestData.WithoutLatency(exit.Data));
        Assert.Equal(["TR-1:1"], RunTestData.JournaledExitIds(journalPath));
    }

    /// <summary>The journal's saved state of TR-1 (read-only: the service may be writing); null when none yet.</summary>
    private static PositionState? SavedState(string journalPath)
    {
        try
        {
            var cs = new SqliteConnectionStringBuilder { DataSource = journalPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
            using var db = new SqliteConnection(cs);
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = "SELECT state_json FROM position_state WHERE position_id = 'TR-1'";
            return c.ExecuteScalar() is string json ? PositionStateJson.Parse(json, "TR-1") : null;
        }
        catch (SqliteException)
        {
            return null; // not created yet
        }
    }
}
