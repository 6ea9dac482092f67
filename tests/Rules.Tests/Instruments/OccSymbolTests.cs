using Streamer.Rules.Instruments;

namespace Streamer.Rules.Tests.Instruments;

public class OccSymbolTests
{
    // every option symbol named in the spec and the seeds
    [Theory]
    [InlineData("META260220C00720000", "META", 2026, 2, 20, OptionRight.Call, 720.0)]
    [InlineData("SPY260220P00580000", "SPY", 2026, 2, 20, OptionRight.Put, 580.0)]
    [InlineData("SPY260220P00575000", "SPY", 2026, 2, 20, OptionRight.Put, 575.0)]
    [InlineData("AAPL240315C00172500", "AAPL", 2024, 3, 15, OptionRight.Call, 172.5)]
    [InlineData("QCOM260220C00150000", "QCOM", 2026, 2, 20, OptionRight.Call, 150.0)]
    [InlineData("BRKB261218P00000500", "BRKB", 2026, 12, 18, OptionRight.Put, 0.5)]
    [InlineData("X260116C99999999", "X", 2026, 1, 16, OptionRight.Call, 99999.999)]
    public void Parses_and_formats_round_trip(string text, string root, int y, int m, int d, OptionRight right, double strike)
    {
        var occ = OccSymbol.Parse(text);
        Assert.Equal(root, occ.Root);
        Assert.Equal(new DateOnly(y, m, d), occ.Expiration);
        Assert.Equal(right, occ.Right);
        Assert.Equal(strike, occ.Strike, 9);
        Assert.Equal(text, occ.ToString());
        Assert.Equal(occ, OccSymbol.Create(root, new DateOnly(y, m, d), right, strike));
    }

    [Fact]
    public void Accepts_the_space_padded_OCC_form()
    {
        var occ = OccSymbol.Parse("SPY   260220P00580000");
        Assert.Equal("SPY", occ.Root);
        Assert.Equal("SPY260220P00580000", occ.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("META", "too short")]
    [InlineData("META261320C00720000", "not a calendar date")]
    [InlineData("META260230C00720000", "not a calendar date")]
    [InlineData("META260220X00720000", "must be C or P")]
    [InlineData("META260220C0072000A", "8 digits")]
    [InlineData("META26022AC00720000", "not YYMMDD")]
    [InlineData("TOOLONGX260220C00720000", "1 to 6 characters")]
    [InlineData("me ta260220C00720000", "invalid character")]
    [InlineData("META260220C00000000", "strike is zero")]
    public void Rejects_malformed_symbols_naming_the_fault(string text, string fragment)
    {
        Assert.False(OccSymbol.TryParse(text, out _, out var error));
        Assert.Contains(fragment, error, StringComparison.Ordinal);
        var ex = Assert.Throws<FormatException>(() => OccSymbol.Parse(text));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("META", false)]
    [InlineData("SPY260220P00580000", true)]
    [InlineData("FAKEPACA", false)]
    public void Tells_options_from_stocks(string text, bool isOption) =>
        Assert.Equal(isOption, OccSymbol.LooksLikeOption(text));
}
