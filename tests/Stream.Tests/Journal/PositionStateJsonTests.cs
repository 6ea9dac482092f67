using Streamer.Rules.Engine;
using Streamer.Stream.Journal;

namespace Streamer.Stream.Tests.Journal;

public sealed class PositionStateJsonTests
{
    [Fact]
    public void The_engine_state_round_trips_through_its_json()
    {
        var s = new PositionState(10, 6, 1, true, 1.2345678901234567, 2, -120.5);
        Assert.Equal(s, PositionStateJson.Parse(PositionStateJson.Write(s), "P"));
        var none = new PositionState(6, 6, 0, false, double.NaN, 1, 0);
        var back = PositionStateJson.Parse(PositionStateJson.Write(none), "P");
        Assert.True(double.IsNaN(back.TrailingPeakPerContract));
        var e = Assert.Throws<FormatException>(() => PositionStateJson.Parse("""{"contracts_original":1}""", "P-9"));
        Assert.Contains("P-9", e.Message, StringComparison.Ordinal);
    }
}
