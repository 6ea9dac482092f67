using System.Text.Json;

namespace Streamer.Stream.Tests.Replay;

/// <summary><c>streamer tape convert</c>: a CSV tape as a binary tape and back, and a replay of each gives the same exits, byte for byte.</summary>
public sealed class TapeConvertTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-convert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string DemoFile(string name) =>
        Streamer.Stream.Tests.Run.RunTestData.RepoFile("src", "Stream", "samples", "demo", name);

    private string Exits(string tape)
    {
        var report = Path.Combine(_dir, Path.GetFileName(tape) + ".json");
        var (code, _, error) = CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", tape, "--report", report, "--quiet");
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllBytes(report)).RootElement.GetProperty("exits").GetRawText();
    }

    [Fact]
    public void The_demo_tape_as_binary_and_back_replays_to_the_same_exits()
    {
        string binary = Path.Combine(_dir, "demo.stape"), back = Path.Combine(_dir, "back.csv");
        var (code, output, error) = CliRunner.Run("tape", "convert", DemoFile("ticks.csv"), binary);
        Assert.True(code == 0, error);
        Assert.Contains("3,543 ticks", output, StringComparison.Ordinal);
        Assert.True(new FileInfo(binary).Length < new FileInfo(DemoFile("ticks.csv")).Length * 2);
        Assert.Equal(0, CliRunner.Run("tape", "convert", binary, back).Code);

        var fromCsv = Exits(DemoFile("ticks.csv"));
        Assert.Equal(fromCsv, Exits(binary));
        Assert.Equal(fromCsv, Exits(back));
        Assert.NotEqual("[]", fromCsv);
    }

    [Fact]
    public void Bad_arguments_and_bad_tapes_are_one_line_and_leave_no_half_written_tape()
    {
        Assert.Contains("usage: streamer tape convert IN OUT", CliRunner.Run("tape", "shrink", "a", "b").Err, StringComparison.Ordinal);
        Assert.Contains("write a .stape (binary) or a .csv tape", CliRunner.Run("tape", "convert", DemoFile("ticks.csv"), Path.Combine(_dir, "x.parquet")).Err, StringComparison.Ordinal);
        var bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(bad, "time,symbol,bid,ask,last\n2026-01-05T15:00:01Z,SPY,1,2,\n2026-01-05T15:00:00Z,SPY,1,2,\n");
        var (code, _, error) = CliRunner.Run("tape", "convert", bad, Path.Combine(_dir, "bad.stape"));
        Assert.Equal(2, code);
        Assert.Contains("bad.csv:3: column 'time'", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "bad.stape")));
    }
}
