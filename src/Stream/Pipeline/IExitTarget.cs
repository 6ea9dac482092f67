using Streamer.Stream.Outbox;
using JournalExit = Streamer.Stream.Journal.PendingExit;

namespace Streamer.Stream.Pipeline;

/// <summary>Where decided exits go: the journal and its outbox (<see cref="OutboxExitTarget"/>). Called from the exit dispatcher's thread only.</summary>
internal interface IExitTarget
{
    OutboxSubmitOutcome Submit(JournalExit exit);

    /// <summary>A fill's resize of a position, in order with its exits (journaled; nothing is published).</summary>
    void Record(Streamer.Stream.Journal.PositionChange change);
}

/// <summary>The service's target: journal first (fsync), then the outbox publishes to NATS JetStream.</summary>
internal sealed class OutboxExitTarget(ExitOutbox outbox, Streamer.Stream.Journal.SqliteJournal journal) : IExitTarget
{
    public OutboxSubmitOutcome Submit(JournalExit exit) => outbox.Submit(exit);

    public void Record(Streamer.Stream.Journal.PositionChange change) => journal.RecordPositionChange(change);
}

/// <summary>Where snapshot messages go (the service: <c>IMessageBus.TryPublish</c>). Called from the dispatcher's thread only.</summary>
internal interface ISnapshotTarget
{
    void Publish(string subject, ReadOnlyMemory<byte> payload);
}
