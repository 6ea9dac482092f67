using Streamer.Stream.Pipeline;
using JournalExit = Streamer.Stream.Pipeline.PendingExit;

namespace Streamer.Stream.Journal.Outbox;

/// <summary>The service's target: journal first (fsync), then the outbox publishes to NATS JetStream; a fill's resize goes to the positions it changes.</summary>
public sealed class OutboxExitTarget(ExitOutbox outbox, PositionStore positions) : IExitTarget
{
    public ExitSubmitOutcome Submit(JournalExit exit) => outbox.Submit(exit);

    public bool TryPublishFirst(JournalExit exit) => outbox.TryPublishFirst(exit);

    public IReadOnlyList<ExitSubmitResult> SubmitBatch(IReadOnlyList<JournalExit> exits) => outbox.SubmitBatch(exits);

    public void Record(Streamer.Stream.Pipeline.PositionChange change) => positions.RecordPositionChange(change);
}
