using System.Text;
using Streamer.Stream.Host.Hosting;
using Streamer.Stream.Service;
namespace Streamer.Stream.Tests.Service;

public sealed class ExecutionParseTests
{
    private static (string? Error, IReadOnlyList<Streamer.Stream.Pipeline.FillRecord>? Fills) Parse(string json)
    {
        var error = ExecutionIntakeService.TryParse(Encoding.UTF8.GetBytes(json), out var fills);
        return (error, fills);
    }

    [Fact]
    public void A_multi_leg_execution_becomes_one_fill_per_leg_named_after_the_execution_and_symbol()
    {
        var (error, fills) = Parse("""{"id":"x-1","position_id":"IC-1","time":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY260220P00580000","qty":-2,"price":5.3},{"symbol":"SPY260220P00575000","qty":2,"price":4.0}]}""");
        Assert.Null(error);
        Assert.NotNull(fills);
        Assert.Equal(["x-1/SPY260220P00580000", "x-1/SPY260220P00575000"], fills.Select(f => f.Id));
        Assert.Equal([-2.0, 2.0], fills.Select(f => f.Quantity));
        Assert.Equal([5.3, 4.0], fills.Select(f => f.Price));
        Assert.All(fills, f => Assert.Equal("IC-1", f.PositionId));
        Assert.All(fills, f => Assert.Equal("x-1", ExecutionIntakeService.ExecutionId(f)));
    }

    [Fact]
    public void A_single_fill_keeps_its_id_and_an_exit_id_marks_a_confirmation()
    {
        var (error, fills) = Parse("""{"id":"a/b","position_id":"P","symbol":"META","qty":-3,"price":1,"time":"2026-01-29T17:00:00Z","exit_id":"P:2"}""");
        Assert.Null(error);
        var fill = Assert.Single(fills!);
        Assert.Equal("a/b", ExecutionIntakeService.ExecutionId(fill));   // a slash of its own is not a leg suffix
        Assert.Equal("P:2", fill.ExitId);
    }

    [Theory]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","legs":[]}""", "execution 'x': legs must be a non-empty array")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","symbol":"A..B","qty":1,"price":1}""", "symbol 'A..B' is neither an OCC option symbol nor a stock ticker")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY*","qty":1,"price":1}]}""", "legs[0]: symbol 'SPY*' is neither")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","symbol":"SPY","legs":[{"symbol":"SPY","qty":1,"price":1}]}""", "either symbol/qty/price or legs")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY","qty":1,"price":1},{"symbol":"SPY","qty":1,"price":1}]}""", "legs[1]: SPY appears twice")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY","qty":1,"price":1},{"symbol":"QQQ","qty":0,"price":1}]}""", "legs[1]: qty must be a non-zero number")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY260230P00580000","qty":1,"price":1}]}""", "legs[0]: symbol 'SPY260230P00580000'")]
    [InlineData("""{"id":"x","position_id":"P","time":"2026-01-29T17:00:00Z","legs":[3]}""", "legs[0]: must be an object")]
    [InlineData("""{"id":"x","position_id":"P","symbol":"SPY","qty":1,"price":1,"time":"yesterday"}""", "time must be an RFC 3339 time")]
    public void A_bad_execution_is_refused_naming_what_is_wrong(string json, string expected)
    {
        var (error, fills) = Parse(json);
        Assert.Null(fills);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
