using System.Text;
using Streamer.Rules.Time;

namespace Streamer.Rules.Tests.Time;

public class NanoTimeTests
{
    [Theory]
    [InlineData("2024-07-24T07:56:53.639713735Z", "2024-07-24T07:56:53.639713735Z")]
    [InlineData("2026-01-21T15:02:11.123456789Z", "2026-01-21T15:02:11.123456789Z")]
    [InlineData("2026-01-29T16:36:38Z", "2026-01-29T16:36:38Z")]
    [InlineData("2026-01-29T16:36:38.5Z", "2026-01-29T16:36:38.5Z")]
    [InlineData("2026-01-29T16:36:38.500000000Z", "2026-01-29T16:36:38.5Z")]
    [InlineData("2026-01-29T11:36:38-05:00", "2026-01-29T16:36:38Z")]
    [InlineData("1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z")]
    public void Parses_and_formats_rfc3339_to_the_nanosecond(string input, string expected)
    {
        Assert.True(NanoTime.TryParseRfc3339(Encoding.ASCII.GetBytes(input), out long ns));
        Assert.Equal(expected, NanoTime.FormatRfc3339(ns));
    }

    [Fact]
    public void Agrees_with_DateTime()
    {
        var dt = new DateTime(2026, 3, 8, 7, 0, 0, DateTimeKind.Utc);
        long ns = NanoTime.ParseRfc3339("2026-03-08T07:00:00Z");
        Assert.Equal(NanoTime.FromDateTime(dt), ns);
        Assert.Equal(dt, NanoTime.ToDateTime(ns));
        Assert.Equal(new DateOnly(2026, 3, 8), NanoTime.UtcDate(ns));
    }

    [Theory]
    [InlineData("2026-01-29 16:36:38")]
    [InlineData("2026-13-29T16:36:38Z")]
    [InlineData("2026-02-30T16:36:38Z")]
    [InlineData("2026-01-29T16:36:38.Z")]
    [InlineData("2026-01-29T16:36:38Zjunk")]
    [InlineData("yesterday")]
    public void Rejects_malformed_times(string input)
    {
        Assert.False(NanoTime.TryParseRfc3339(Encoding.ASCII.GetBytes(input), out _));
        Assert.Throws<FormatException>(() => NanoTime.ParseRfc3339(input));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("1899-12-31T23:59:59Z")]
    [InlineData("2201-01-01T00:00:00Z")]
    [InlineData("2262-04-12T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z")]
    public void Years_a_long_of_ns_cannot_hold_or_no_market_sends_are_refused_never_wrapped(string input)
    {
        Assert.False(NanoTime.TryParseRfc3339(Encoding.ASCII.GetBytes(input), out _));
        var e = Assert.Throws<FormatException>(() => NanoTime.ParseRfc3339(input));
        Assert.Contains("1900-2200", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_edges_of_the_range_parse_and_are_in_range()
    {
        Assert.Equal(NanoTime.MinNs, NanoTime.ParseRfc3339("1900-01-01T00:00:00Z"));
        Assert.Equal(NanoTime.MaxNs, NanoTime.ParseRfc3339("2200-12-31T23:59:59.999999999Z"));
        Assert.True(NanoTime.InRange(NanoTime.MinNs) && NanoTime.InRange(NanoTime.MaxNs) && NanoTime.InRange(0));
        Assert.False(NanoTime.InRange(NanoTime.MinNs - 1) || NanoTime.InRange(NanoTime.MaxNs + 1) || NanoTime.InRange(long.MinValue) || NanoTime.InRange(long.MaxValue));
    }
}
