using System.Globalization;
using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tests.Tapes;

/// <summary>The reader's fast paths must agree bit for bit with the general parsers they shortcut.</summary>
public class FastParserTests
{
    [Fact]
    public void Prices_parse_bit_identical_to_double_parse()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            long mantissa = rng.NextInt64(0, i % 2 == 0 ? 1_000_000 : 999_999_999_999_999);
            int decimals = rng.Next(0, 10);
            string text = decimals == 0 ? mantissa.ToString(CultureInfo.InvariantCulture)
                : (mantissa / Math.Pow(10, decimals)).ToString("F" + decimals, CultureInfo.InvariantCulture);
            if (i % 5 == 0) text = "-" + text;
            Check(text);
        }
        foreach (var text in new[] { "0", "0.0", "596.20", "0.01", "0.05", "1e2", "1.5E-3", "123456789012345678", "0.30000000000000004", ".5", "9007199254740993" })
            Check(text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1.2x")]
    [InlineData("1..2")]
    [InlineData("1,5")]
    [InlineData("NaN")]
    [InlineData("1e999")]
    public void Non_numbers_are_rejected(string text)
    {
        Assert.False(PriceParser.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }

    private static void Check(string text)
    {
        Assert.True(PriceParser.TryParse(Encoding.ASCII.GetBytes(text), out double fast), text);
        double expected = double.Parse(text, CultureInfo.InvariantCulture);
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(fast), $"{text}: {fast:R} != {expected:R}");
    }

    [Fact]
    public void Times_parse_identically_to_nanotime_across_dates_shapes_and_bad_input()
    {
        var parser = new TimeParser();
        var rng = new Random(3);
        long t = NanoTime.ParseRfc3339("2026-01-05T14:30:00Z");
        string[] shapes = ["", ".5", ".123", ".123456789", ".000000001", ".1234567891"];
        for (int i = 0; i < 100_000; i++)
        {
            t += rng.NextInt64(0, i % 100 == 0 ? NanoTime.PerDay : NanoTime.PerMinute);
            string s = NanoTime.FormatRfc3339(t);
            switch (i % 9)
            {
                case 1: s = s[..19] + shapes[rng.Next(shapes.Length)] + "Z"; break;
                case 2: s = s[..19] + "-05:00"; break;
                case 3: s = s[..19] + "z"; break;
                case 4: s = s[..17] + "60Z"; break;                      // leap second
                case 5: s = s[..11] + "24" + s[13..]; break;             // bad hour
                case 6: s = s[..19] + ".Z"; break;                        // no digits
                case 7: s = s[..14] + "6" + s[15..]; break;               // minute 6x
            }
            var bytes = Encoding.ASCII.GetBytes(s);
            bool expectedOk = NanoTime.TryParseRfc3339(bytes, out long expected);
            bool ok = parser.TryParse(bytes, out long actual);
            Assert.True(expectedOk == ok, s);
            if (ok) Assert.True(expected == actual, s);
        }
    }
}
