namespace Streamer.Stream.Journal.Outbox;

/// <summary><c>Exits:Durability</c>: what an exit waits for before it goes on the wire.</summary>
public enum ExitDurability
{
    /// <summary>
    /// <c>publish-first</c> (the default): the exit is written to NATS the moment it is decided; the
    /// journal records it in parallel (group commit), never in front of it. A crash between the two
    /// leaves it on the stream only, and the next start adopts it from there (docs/journal.md).
    /// While NATS is away, or anything earlier is still unacked, exits fall back to journal-first.
    /// </summary>
    PublishFirst,

    /// <summary><c>journal-first</c>: the exit is fsynced to the journal, then published (an fsync in front of every exit).</summary>
    JournalFirst,
}
