using Streamer.Stream.Contracts;

namespace Streamer.Stream.Journal;

/// <summary>The <c>Journal</c> section (docs/run.md "Restart semantics").</summary>
public sealed record JournalOptions : ISettingsSection
{
    /// <summary><c>Journal:Path</c> (streamer-journal.db, against the working directory).</summary>
    public string Path { get; init; } = "streamer-journal.db";

    /// <summary><c>Journal:RestoreState</c> (auto): auto, true or false; auto = yes with a live feed, no with a tape.</summary>
    public string RestoreState { get; init; } = "auto";

    /// <summary><c>Journal:StateSaveMilliseconds</c> (1000; 0 = off): how often rule state that moves without an exit is journaled.</summary>
    public double StateSaveMilliseconds { get; init; } = 1000;

    /// <summary>
    /// <c>Journal:RebuildFromStream</c> (false): before anything is decided, adopt every exit on the
    /// exit stream that the journal lacks, whatever position it names (docs/journal.md "Recovery").
    /// For a journal that was lost, deleted or damaged: started on a fresh file with this set, the
    /// service never decides again, nor reuses the id of, an exit it published before.
    /// </summary>
    public bool RebuildFromStream { get; init; }

    public void Validate()
    {
        if (RestoreState.ToLowerInvariant() is not ("auto" or "true" or "false"))
            throw new SettingsException($"Journal:RestoreState: '{RestoreState}' is not auto, true or false");
        if (StateSaveMilliseconds < 0) throw new SettingsException("Journal:StateSaveMilliseconds: must be 0 (off) or more");
    }
}
