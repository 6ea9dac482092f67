using Streamer.Stream.Pipeline;
namespace Streamer.Stream.Journal;

/// <summary>
/// One exit's result in a group commit (<see cref="ExitStore.RecordExitsDecided"/>): <see cref="Outcome"/>
/// when <see cref="Conflict"/> is null; otherwise the journal refused this decision (nothing of it was
/// written, a bug upstream: never retried) while the rest of the batch was committed.
/// </summary>
public readonly record struct ExitBatchOutcome(ExitRecordOutcome Outcome, JournalConflictException? Conflict)
{
    public static ExitBatchOutcome Refused(JournalConflictException conflict) => new(default, conflict);
}
