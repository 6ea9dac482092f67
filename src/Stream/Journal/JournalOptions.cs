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

    public void Validate()
    {
        if (RestoreState.ToLowerInvariant() is not ("auto" or "true" or "false"))
            throw new SettingsException($"Journal:RestoreState: '{RestoreState}' is not auto, true or false");
        if (StateSaveMilliseconds < 0) throw new SettingsException("Journal:StateSaveMilliseconds: must be 0 (off) or more");
    }
}
