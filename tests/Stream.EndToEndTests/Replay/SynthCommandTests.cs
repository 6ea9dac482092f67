using System.Text.Json;

namespace Streamer.Stream.Tests.Replay;

public sealed class SynthCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-synth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Same_seed_writes_the_same_bytes_and_another_seed_does_not()
    {
        string[] common = ["--symbols", "SPY,SPY260220P00580000,SPY260220P00575000", "--spot", "SPY=600", "--ticks", "5000"];
        Assert.Equal(0, CliRunner.Run(["synth", "--out", PathOf("a.csv"), "--seed", "7", .. common]).Code);
        Assert.Equal(0, CliRunner.Run(["synth", "--out", PathOf("b.csv"), "--seed", "7", .. common]).Code);
        Assert.Equal(0, CliRunner.Run(["synth", "--out", PathOf("c.csv"), "--seed", "8", .. common]).Code);
        Assert.Equal(File.ReadAllBytes(PathOf("a.csv")), File.ReadAllBytes(PathOf("b.csv")));
        Assert.NotEqual(File.ReadAllBytes(PathOf("a.csv")), File.ReadAllBytes(PathOf("c.csv")));
        var lines = File.ReadAllLines(PathOf("a.csv"));
        Assert.Equal("time,symbol,bid,ask,last", lines[0]);
        Assert.Equal(5001, lines.Length);
    }

    [Fact]
    public void Out_dot_stape_writes_the_same_ticks_as_a_binary_tape()
    {
        string[] common = ["--symbols", "SPY,SPY260220P00580000", "--spot", "SPY=600", "--ticks", "3000", "--seed", "7"];
        Assert.Equal(0, CliRunner.Run(["synth", "--out", PathOf("a.csv"), .. common]).Code);
        Assert.Equal(0, CliRunner.Run(["synth", "--out", PathOf("a.stape"), .. common]).Code);
        Assert.True(File.ReadAllBytes(PathOf("a.stape")).AsSpan().StartsWith("STRTAPE1"u8));
        // converted back to CSV, the binary tape is the CSV tape, byte for byte
        Assert.Equal(0, CliRunner.Run("tape", "convert", PathOf("a.stape"), PathOf("back.csv")).Code);
        Assert.Equal(0, CliRunner.Run("tape", "convert", PathOf("a.csv"), PathOf("again.csv")).Code);
        Assert.Equal(File.ReadAllBytes(PathOf("again.csv")), File.ReadAllBytes(PathOf("back.csv")));
    }

    [Fact]
    public void A_tape_made_for_a_positions_file_replays_against_it()
    {
        string positions = PathOf("p.json");
        File.WriteAllText(positions, """
            { "positions": [
              { "id": "PCS", "book": "primary", "opened_at": "2026-01-05T15:00:00Z", "underlying_entry": 600,
                "legs": [ { "symbol": "SPY260220P00580000", "qty": -10, "entry_price": 4.00 },
                          { "symbol": "SPY260220P00575000", "qty": 10, "entry_price": 3.30 } ] },
              { "id": "LC", "book": "day_trade", "opened_at": "2026-01-05T15:00:00Z", "underlying_entry": 600,
                "legs": [ { "symbol": "SPY260220C00600000", "qty": 2, "entry_price": 15.00 } ] } ] }
            """);
        var (code, output, err) = CliRunner.Run("synth", "--positions", positions, "--out", PathOf("t.csv"), "--days", "3", "--rate", "2", "--seed", "3");
        Assert.True(code == 0, err);
        Assert.Contains("wrote", output, StringComparison.Ordinal);
        var tape = File.ReadAllLines(PathOf("t.csv"));
        foreach (var symbol in new[] { "SPY,", "SPY260220P00580000,", "SPY260220P00575000,", "SPY260220C00600000," })
            Assert.Contains(tape, l => l.Contains(symbol, StringComparison.Ordinal));
        Assert.StartsWith("2026-01-05T", tape[1], StringComparison.Ordinal); // starts on the positions' own date

        (code, _, err) = CliRunner.Run("replay", "--positions", positions, "--ticks", PathOf("t.csv"), "--report", PathOf("r.json"), "--quiet");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(File.ReadAllBytes(PathOf("r.json"))).RootElement;
        Assert.Equal(tape.Length - 1, root.GetProperty("stats").GetProperty("ticks").GetInt64());
        // the day trade cannot outlive its first session: it is closed by the day-trade close (or earlier)
        var lc = root.GetProperty("positions").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "LC");
        Assert.Equal("closed", lc.GetProperty("status").GetString());
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        var (code, _, err) = CliRunner.Run("synth", "--out", PathOf("x.csv"));
        Assert.Equal(2, code);
        Assert.Contains("--symbols", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run("synth", "--out", PathOf("x.csv"), "--symbols", "SPY", "--spot", "SPY:600");
        Assert.Equal(2, code);
        Assert.Contains("SPY:600", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run("synth", "--out", PathOf("x.csv"), "--symbols", "SPY261399C00100000");
        Assert.Equal(2, code);
        Assert.Contains("SPY261399C00100000", err, StringComparison.Ordinal);
    }
}
