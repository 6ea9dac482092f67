using Streamer.Stream.Journal;

namespace Streamer.Stream.Outbox;

/// <summary>One exit's answer from <see cref="ExitOutbox.SubmitBatch"/>: <see cref="Conflict"/> is set exactly when <see cref="Outcome"/> is <see cref="OutboxSubmitOutcome.Conflict"/>.</summary>
internal readonly record struct OutboxSubmitResult(OutboxSubmitOutcome Outcome, JournalConflictException? Conflict = null);
