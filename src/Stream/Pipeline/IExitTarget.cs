using Streamer.Stream.Outbox;
using JournalExit = Streamer.Stream.Journal.PendingExit;

namespace Streamer.Stream.Pipeline;

/// <summary>Where decided exits go: the journal and its outbox (<see cref="OutboxExitTarget"/>). Called from the exit dispatcher's thread only.</summary>
internal interface IExitTarget
{
    OutboxSubmitOutcome Submit(JournalExit exit);
}

/// <summary>The service's target: journal first (fsync), then the outbox publishes to NATS JetStream.</summary>
internal sealed class OutboxExitTarget(ExitOutbox outbox) : IExitTarget
{
    public OutboxSubmitOutcome Submit(JournalExit exit) => outbox.Submit(exit);
}

/// <summary>Where snapshot messages go (the service: <c>IMessageBus.TryPublish</c>). Called from the dispatcher's thread only.</summary>
internal interface ISnapshotTarget
{
    void Publish(string subject, ReadOnlyMemory<byte> payload);
}
