using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Replay;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// Issue 11 from the command line, against the real executable: a bad tape row is refused by
/// <c>run</c> as <c>replay</c> refuses it (row named, exit 2, before anything is decided), and an
/// output path that cannot be written is one line before the work, never a stack trace after it.
/// </summary>
public sealed class HostileCliTests
{
    [Theory]
    [InlineData("2026-01-05T14:00:00Z", "is earlier than the previous row's")]
    [InlineData("2262-04-12T00:00:00Z", "1900-2200")]
    public async Task Run_refuses_the_tape_replay_refuses_naming_the_same_row(string badTime, string expected)
    {
        using var dir = new TempDirectory();
        var lines = File.ReadAllLines(RunTestData.DemoTape).ToList();
        lines.Insert(1800, $"{badTime},SPY,602.79,602.81,");
        File.WriteAllLines(dir.File("bad.csv"), lines);

        var replay = CliRunner.Run("replay", "--ticks", dir.File("bad.csv"), "--positions", RunTestData.DemoPositions, "--quiet");
        Assert.Equal(2, replay.Code);
        Assert.Contains("bad.csv:1801: column 'time'", replay.Err, StringComparison.Ordinal);
        Assert.Contains(expected, replay.Err, StringComparison.Ordinal);

        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Feed:Tape={dir.File("bad.csv")}", "--Feed:ExitWhenDone=true",
            $"--Journal:Path={dir.File("j.db")}", "--Nats:Url=nats://127.0.0.1:9");
        Assert.Equal(2, code);
        Assert.Contains("streamer run: Feed:Tape: ", output, StringComparison.Ordinal);
        Assert.Contains("bad.csv:1801: column 'time'", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("j.db")), "refused before the journal was even created");
    }

    [Fact]
    public async Task A_damaged_journal_is_a_clear_exit_2_naming_the_file_and_the_way_back()
    {
        using var dir = new TempDirectory();
        using (var journal = Streamer.Stream.Journal.JournalDatabase.Open(dir.File("j.db")))
            for (int i = 0; i < 200; i++) journal.Positions.UpsertPosition($"P-{i}", "{\"pad\":\"" + new string('x', 400) + "\"}", 1);
        // cut in half, as a full disk or a careless copy leaves it
        using (var f = new FileStream(dir.File("j.db"), FileMode.Open)) f.SetLength(f.Length / 2);
        foreach (var suffix in new[] { "-wal", "-shm" }) File.Delete(dir.File("j.db") + suffix);

        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Nats:Url=nats://127.0.0.1:9");
        Assert.Equal(2, code);
        Assert.Contains($"journal {dir.File("j.db")}: the file is damaged", output, StringComparison.Ordinal);
        Assert.Contains("Journal:RebuildFromStream=true", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_run_on_a_journal_in_use_is_refused_naming_the_process_that_holds_it()
    {
        using var dir = new TempDirectory();
        using var first = StreamerProcess.Start(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Nats:Url=nats://127.0.0.1:9");
        try
        {
            await Waits.UntilAsync(() => File.Exists(dir.File("j.db.owner")) || first.HasExited, "the first run holds the journal", TimeSpan.FromSeconds(30));
            Assert.False(first.HasExited, first.Output);
            var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Nats:Url=nats://127.0.0.1:9");
            Assert.Equal(2, code);
            Assert.Contains($"journal {dir.File("j.db")}: in use by another streamer (pid {first.Id} on ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }
        finally
        {
            first.Crash();
        }
        // kill -9 releases it: the next run takes the journal
        using var next = StreamerProcess.Start(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Nats:Url=nats://127.0.0.1:9");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(next.HasExited, next.Output);
            Assert.DoesNotContain("in use by another streamer", next.Output, StringComparison.Ordinal);
        }
        finally
        {
            next.Crash();
        }
    }

    [Fact]
    public void Output_paths_that_cannot_be_written_are_refused_before_the_backtest_in_one_line()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("adir"));
        var cases = new (string[] Args, string Expected)[]
        {
            (["replay", "--ticks", RunTestData.DemoTape, "--positions", RunTestData.DemoPositions, "--report", dir.File("missing/r.json")], "--report " + dir.File("missing/r.json") + ": directory"),
            (["replay", "--ticks", RunTestData.DemoTape, "--positions", RunTestData.DemoPositions, "--csv", dir.File("adir")], "--csv " + dir.File("adir") + ": is a directory"),
            (["synth", "--out", dir.File("adir"), "--symbols", "SPY"], "--out " + dir.File("adir") + ": is a directory"),
            (["demo", "--report", "/proc/no/such.json"], "--report /proc/no/such.json"),
        };
        foreach (var (args, expected) in cases)
        {
            var (code, output, error) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Contains(expected, error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Equal("", output); // refused before the work: no exit lines, no summary
        }
    }

    [Fact]
    public void Greeks_jsonl_answers_a_line_of_bad_UTF8_with_its_own_error_and_goes_on()
    {
        var input = new MemoryStream([.. "{\"right\":\""u8, 0xFF, .. "\"}\n"u8,
            .. """{"right":"call","spot":100,"strike":100,"expiry_years":1,"rate":0.05,"dividend":0,"vol":0.2,"style":"european"}"""u8, (byte)'\n']);
        var output = new MemoryStream();
        Streamer.Stream.Host.Greeks.JsonlGreeks.Run(input, output);
        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("""{"error":"line 1: not valid UTF-8 (byte 0xFF at offset 10)"}""", lines[0]);
        Assert.StartsWith("""{"price":""", lines[1], StringComparison.Ordinal);
    }
}
