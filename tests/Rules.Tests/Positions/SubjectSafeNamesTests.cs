using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;

namespace Streamer.Rules.Tests.Positions;

/// <summary>
/// Tickers and option roots become NATS subject tokens (streamer.exits.&lt;UNDERLYING&gt;): a name with an
/// empty part ("A..B") is refused at intake, with the field at fault, never accepted to block the outbox.
/// </summary>
public sealed class SubjectSafeNamesTests
{
    [Theory]
    [InlineData("A")]
    [InlineData("META")]
    [InlineData("BRK.B")]
    [InlineData("BF/B")]
    [InlineData("BRK-B")]
    [InlineData("X1")]
    [InlineData("ABCDEFGHIJ")]
    public void Real_tickers_are_tickers(string symbol) => Assert.True(LegSymbols.IsTicker(symbol));

    [Theory]
    [InlineData("A..B")]
    [InlineData(".A")]
    [InlineData("A.")]
    [InlineData("A./B")]
    [InlineData("A-")]
    [InlineData("1A")]
    [InlineData("meta")]
    [InlineData("A B")]
    [InlineData("A*")]
    [InlineData("A>")]
    [InlineData("")]
    [InlineData("ABCDEFGHIJK")]
    public void Names_that_are_no_ticker_or_no_subject_token_are_refused(string symbol) => Assert.False(LegSymbols.IsTicker(symbol));

    [Fact]
    public void A_position_on_a_ticker_with_an_empty_part_is_refused_naming_the_leg()
    {
        var ex = Assert.Throws<ConfigException>(() => PositionsFile.ParseOne(
            """{ "id": "P-1", "book": "day_trade", "stop_underlying": 1, "legs": [ { "symbol": "A..B", "qty": 100, "entry_price": 10 } ] }""", "control.add"));
        Assert.Contains("legs[0].symbol", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'A..B'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A..B  260220C00100000")]
    [InlineData(".AB   260220C00100000")]
    [InlineData("AB.   260220C00100000")]
    public void An_option_root_with_an_empty_part_is_refused(string symbol)
    {
        Assert.False(OccSymbol.TryParse(symbol, out _, out var error));
        Assert.Contains("root", error, StringComparison.Ordinal);
    }
}
