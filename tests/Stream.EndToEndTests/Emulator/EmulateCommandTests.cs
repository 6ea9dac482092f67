using Streamer.Stream.Tests.Replay;

namespace Streamer.Stream.Tests.Emulator;

public sealed class EmulateCommandTests
{
    [Theory]
    [InlineData(new[] { "emulate" }, "missing required option --ticks")]
    [InlineData(new[] { "emulate", "--ticks", "/nonexistent/tape.csv" }, "tape '/nonexistent/tape.csv' not found")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--speed", "-1" }, "--speed must be ≥ 0")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--port", "70000" }, "--port must be 0-65535")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--key", "K" }, "give both --key and --secret")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--speeed", "2" }, "unknown option --speeed")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--partial-fills", "--quote-size", "5-2" }, "--quote-size must be N or MIN-MAX with 1 ≤ MIN ≤ MAX, got '5-2'")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--quote-size", "0" }, "--quote-size must be N or MIN-MAX")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--assign", "SPY@2026-01-21T20:00:00Z" }, "--assign 'SPY@2026-01-21T20:00:00Z': SPY is not an OCC option symbol")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--assign", "SPY260121P00580000@3pm" }, "'3pm' is not an RFC 3339 time")]
    [InlineData(new[] { "emulate", "--ticks", "x.csv", "--assign" }, "option --assign needs a value")]
    public void Bad_arguments_fail_with_one_clear_line(string[] args, string message)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_tape_names_file_and_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-tape-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "time,symbol,bid,ask,last\n2026-01-21T15:00:00Z,AAPL,abc,200.02,\n");
        try
        {
            var (code, _, err) = CliRunner.Run("emulate", "--ticks", path);
            Assert.Equal(2, code);
            Assert.Contains($"{path}:2", err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
