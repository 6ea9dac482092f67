using JournalExit = Streamer.Stream.Pipeline.PendingExit;

namespace Streamer.Stream.Pipeline;

/// <summary>Where decided exits go: the journal and its outbox (<see cref="OutboxExitTarget"/>). <see cref="TryPublishFirst"/> is called from the deciding shards (or the exit thread); the rest from the journal thread only.</summary>
public interface IExitTarget
{
    ExitSubmitOutcome Submit(JournalExit exit);

    /// <summary>
    /// Publish-first: put the exit on the wire now, before it is journaled, if the target can
    /// (<c>Exits:Durability = publish-first</c> and nothing earlier is owed). True when it was sent; it
    /// is journaled right after either way (<see cref="SubmitBatch"/>). Called from the deciding shard
    /// (several at once: it must be thread-safe), or the exit thread, in each one's decision order. The
    /// default never sends first (journal-first).
    /// </summary>
    bool TryPublishFirst(JournalExit exit) => false;

    /// <summary>
    /// Exits in decision order, journaled together when the target can (one transaction: group
    /// commit). Each slot answers as <see cref="Submit"/> would; a conflict is
    /// <see cref="ExitSubmitOutcome.Conflict"/> in its slot (the others stand); after a
    /// <see cref="ExitSubmitOutcome.Full"/> every later slot is Full too (held, submitted again in
    /// order). Throws when nothing could be journaled (I/O): the whole batch is retried.
    /// This default submits them one by one.
    /// </summary>
    IReadOnlyList<ExitSubmitResult> SubmitBatch(IReadOnlyList<JournalExit> exits)
    {
        var results = new ExitSubmitResult[exits.Count];
        for (int i = 0; i < exits.Count; i++)
        {
            try
            {
                results[i] = new(Submit(exits[i]));
            }
            catch (Streamer.Stream.Pipeline.JournalConflictException e)
            {
                results[i] = new(ExitSubmitOutcome.Conflict, e);
            }
            if (results[i].Outcome == ExitSubmitOutcome.Full)
            {
                for (i++; i < exits.Count; i++) results[i] = new(ExitSubmitOutcome.Full);
                break;
            }
        }
        return results;
    }

    /// <summary>A fill's resize of a position, in order with its exits (journaled; nothing is published).</summary>
    void Record(Streamer.Stream.Pipeline.PositionChange change);
}

