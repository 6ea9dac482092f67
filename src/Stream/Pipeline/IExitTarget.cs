using Streamer.Stream.Outbox;
using JournalExit = Streamer.Stream.Journal.PendingExit;

namespace Streamer.Stream.Pipeline;

/// <summary>Where decided exits go: the journal and its outbox (<see cref="OutboxExitTarget"/>). Called from the exit dispatcher's thread only.</summary>
internal interface IExitTarget
{
    OutboxSubmitOutcome Submit(JournalExit exit);

    /// <summary>
    /// Exits in decision order, journaled together when the target can (one transaction: group
    /// commit). Each slot answers as <see cref="Submit"/> would; a conflict is
    /// <see cref="OutboxSubmitOutcome.Conflict"/> in its slot (the others stand); after a
    /// <see cref="OutboxSubmitOutcome.Full"/> every later slot is Full too (held, submitted again in
    /// order). Throws when nothing could be journaled (I/O): the whole batch is retried.
    /// This default submits them one by one.
    /// </summary>
    IReadOnlyList<OutboxSubmitResult> SubmitBatch(IReadOnlyList<JournalExit> exits)
    {
        var results = new OutboxSubmitResult[exits.Count];
        for (int i = 0; i < exits.Count; i++)
        {
            try
            {
                results[i] = new(Submit(exits[i]));
            }
            catch (Streamer.Stream.Journal.JournalConflictException e)
            {
                results[i] = new(OutboxSubmitOutcome.Conflict, e);
            }
            if (results[i].Outcome == OutboxSubmitOutcome.Full)
            {
                for (i++; i < exits.Count; i++) results[i] = new(OutboxSubmitOutcome.Full);
                break;
            }
        }
        return results;
    }

    /// <summary>A fill's resize of a position, in order with its exits (journaled; nothing is published).</summary>
    void Record(Streamer.Stream.Journal.PositionChange change);
}

/// <summary>The service's target: journal first (fsync), then the outbox publishes to NATS JetStream.</summary>
internal sealed class OutboxExitTarget(ExitOutbox outbox, Streamer.Stream.Journal.SqliteJournal journal) : IExitTarget
{
    public OutboxSubmitOutcome Submit(JournalExit exit) => outbox.Submit(exit);

    public IReadOnlyList<OutboxSubmitResult> SubmitBatch(IReadOnlyList<JournalExit> exits) => outbox.SubmitBatch(exits);

    public void Record(Streamer.Stream.Journal.PositionChange change) => journal.RecordPositionChange(change);
}

/// <summary>Where snapshot messages go (the service: <c>IMessageBus.TryPublish</c>). Called from the dispatcher's thread only.</summary>
internal interface ISnapshotTarget
{
    void Publish(string subject, ReadOnlyMemory<byte> payload);
}
