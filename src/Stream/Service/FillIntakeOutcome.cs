namespace Streamer.Stream.Service;

public enum FillIntakeOutcome
{
    Recorded,
    /// <summary>the fill id was journaled before: nothing changed.</summary>
    Duplicate,
    /// <summary>the journal could not record it (the sender should retry).</summary>
    JournalError,
}
