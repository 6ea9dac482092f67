using Streamer.Rules.Engine;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
namespace Streamer.Stream.Tests.Journal;

public sealed class PositionStateJsonTests
{
    [Fact]
    public void The_engine_state_round_trips_through_its_json()
    {
        var s = new PositionState(10, 6, 1, true, 1.2345678901234567, 2, -120.5, FillWatermark: 17,
            OpenedNs: Streamer.Rules.Time.NanoTime.ParseRfc3339("2026-01-29T15:00:00.123456789Z"));
        Assert.Equal(s, PositionStateJson.Parse(PositionStateJson.Write(s), "P"));
        Assert.Contains("\"opened_at\":\"2026-01-29T15:00:00.123456789Z\"", PositionStateJson.Write(s), StringComparison.Ordinal);
        // a state written before fills and opened instants were journaled reads with none of either
        var old = PositionStateJson.Parse("""{"contracts_original":10,"contracts_remaining":6,"tranches_fired":1,"trailing_active":false,"trailing_peak_per_contract":null,"next_sequence":2,"realized_pnl":0}""", "P");
        Assert.Equal((0L, long.MinValue), (old.FillWatermark, old.OpenedNs));
        var none = new PositionState(6, 6, 0, false, double.NaN, 1, 0);
        var back = PositionStateJson.Parse(PositionStateJson.Write(none), "P");
        Assert.True(double.IsNaN(back.TrailingPeakPerContract));
        var e = Assert.Throws<FormatException>(() => PositionStateJson.Parse("""{"contracts_original":1}""", "P-9"));
        Assert.Contains("P-9", e.Message, StringComparison.Ordinal);
    }
}
