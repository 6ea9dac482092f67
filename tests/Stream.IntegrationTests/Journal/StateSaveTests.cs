using Streamer.Rules.Engine;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;
using static Streamer.Stream.Tests.Journal.JournalTestData;

namespace Streamer.Stream.Tests.Journal;

public sealed class StateSaveTests
{
    private static PositionState Trailing(int next, double peak, int remaining = 6) =>
        new(ContractsOriginal: 6, ContractsRemaining: remaining, TranchesFired: 0, TrailingActive: true,
            TrailingPeakPerContract: peak, NextSequence: next, RealizedPnl: 0);

    [Fact]
    public void A_new_trailing_peak_is_journaled_when_no_exit_is_outstanding()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.True(journal.Positions.SaveStateIfCurrent("META-1", Trailing(next: 1, peak: 2250), 10));
        Assert.True(journal.Positions.TryLoadPositionState("META-1", out var json));
        Assert.Equal(2250, PositionStateJson.Parse(json, "META-1").TrailingPeakPerContract);

        // a higher peak later replaces it
        Assert.True(journal.Positions.SaveStateIfCurrent("META-1", Trailing(next: 1, peak: 2400), 20));
        journal.Positions.TryLoadPositionState("META-1", out json);
        Assert.Equal(2400, PositionStateJson.Parse(json, "META-1").TrailingPeakPerContract);
    }

    [Fact]
    public void A_state_ahead_of_the_journaled_exits_is_never_written()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        // the engine decided exit :1 (its next sequence is 2) but the exit has not reached the journal:
        // saving that state would let a restart believe exit :1 happened and skip it
        Assert.False(journal.Positions.SaveStateIfCurrent("SPY-PCS-1", Trailing(next: 2, peak: 100, remaining: 6), 10));
        Assert.False(journal.Positions.TryLoadPositionState("SPY-PCS-1", out _));

        // once exit :1 is journaled (with its own state), the same engine state is current
        var exitState = PositionStateJson.Write(Trailing(next: 2, peak: 90, remaining: 6));
        Assert.Equal(ExitRecordOutcome.Recorded, journal.Exits.RecordExitDecided(Exit("SPY-PCS-1", 1, state: exitState)));
        Assert.True(journal.Positions.SaveStateIfCurrent("SPY-PCS-1", Trailing(next: 2, peak: 100, remaining: 6), 20));
        journal.Positions.TryLoadPositionState("SPY-PCS-1", out var json);
        Assert.Equal(100, PositionStateJson.Parse(json, "SPY-PCS-1").TrailingPeakPerContract);

        // and a stale engine state (behind the journal) is refused too
        Assert.Equal(ExitRecordOutcome.Recorded, journal.Exits.RecordExitDecided(Exit("SPY-PCS-1", 2, state: PositionStateJson.Write(Trailing(next: 3, peak: 100, remaining: 2)))));
        Assert.False(journal.Positions.SaveStateIfCurrent("SPY-PCS-1", Trailing(next: 2, peak: 120, remaining: 6), 30));
        journal.Positions.TryLoadPositionState("SPY-PCS-1", out json);
        Assert.Equal(2, PositionStateJson.Parse(json, "SPY-PCS-1").ContractsRemaining);
    }
}
