using Streamer.Rules.Diagnostics;
using Streamer.Rules.Positions;

namespace Streamer.Rules.Tests.Positions;

public sealed class PositionIdsTests
{
    [Theory]
    [InlineData("META-1")]
    [InlineData("spread/2026-02-20#3")]
    [InlineData("Ünïcödé-π-😀")] // printable, a surrogate pair included
    public void Printable_ids_are_accepted(string id) => Assert.Null(PositionIds.Check(id));

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData(" P", "white space")]
    [InlineData("P\u0000", "control character (U+0000) at character 2")]
    [InlineData("P\r\nX", "control character (U+000D)")]
    [InlineData("\u001b[2J", "control character (U+001B)")]
    [InlineData("A\u202eB", "invisible format character (U+202E)")]
    [InlineData("A\u200bB", "invisible format character (U+200B)")]
    [InlineData("A:1", "must not contain ':'")]
    [InlineData("A B", "must not contain ':' or white space")]
    public void Ids_that_are_not_printable_text_are_refused_naming_the_character(string id, string expected) =>
        Assert.Contains(expected, PositionIds.Check(id), StringComparison.Ordinal);

    [Fact]
    public void An_id_past_128_characters_is_refused_and_fill_ids_may_hold_a_colon()
    {
        Assert.Contains("at most 128", PositionIds.Check(new string('a', 129)), StringComparison.Ordinal);
        Assert.Null(PositionIds.Check(new string('a', 128)));
        Assert.Null(PositionIds.CheckText("META-1:3"));
        // built here: a lone surrogate does not survive a test case's serialization
        Assert.Contains("broken surrogate", PositionIds.Check("A" + (char)0xD800 + "B"), StringComparison.Ordinal);
    }

    [Fact]
    public void Printable_escapes_what_would_forge_a_log_line_and_cuts_what_is_long()
    {
        Assert.Equal("a\\u000Ab\\u001B[31m\\u202E", PositionIds.Printable("a\nb\u001b[31m\u202e"));
        var cut = PositionIds.Printable(new string('x', 5000), 10);
        Assert.Equal("xxxxxxxxxx… (5000 characters)", cut);
        const string clean = "plain";
        Assert.Same(clean, PositionIds.Printable(clean));
    }

    [Fact]
    public void Utf8_check_names_the_first_bad_byte_and_its_offset()
    {
        Assert.Null(Utf8Text.Check("héllo"u8));
        Assert.Equal("not valid UTF-8 (byte 0xFF at offset 2)", Utf8Text.Check([(byte)'a', (byte)'b', 0xFF, (byte)'c']));
        Assert.Equal(1, Utf8Text.FirstInvalid([(byte)'a', 0xC3])); // a truncated sequence
        Assert.Equal(-1, Utf8Text.FirstInvalid("ok"u8));
    }
}
