namespace Streamer.Stream.Journal;

public enum ExitRecordOutcome
{
    Recorded,
    /// <summary>an exit with this id is already journaled: nothing was written (the first decision stands).</summary>
    AlreadyDecided,
}
