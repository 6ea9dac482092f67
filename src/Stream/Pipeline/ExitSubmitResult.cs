namespace Streamer.Stream.Pipeline;

/// <summary>One exit's answer from <see cref="ExitOutbox.SubmitBatch"/>: <see cref="Conflict"/> is set exactly when <see cref="Outcome"/> is <see cref="ExitSubmitOutcome.Conflict"/>.</summary>
public readonly record struct ExitSubmitResult(ExitSubmitOutcome Outcome, JournalConflictException? Conflict = null);
