namespace Streamer.Stream.Journal;

public enum FillRecordOutcome
{
    Recorded,
    /// <summary>a fill with this id is already journaled; nothing was written.</summary>
    Duplicate,
}
