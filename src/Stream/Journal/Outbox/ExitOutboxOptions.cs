using Streamer.Stream.Nats;
namespace Streamer.Stream.Journal.Outbox;

public sealed record ExitOutboxOptions
{
    /// <summary>
    /// How many exits may wait unpublished (in the journal, on disk) before the decision side is
    /// told: <see cref="ExitOutbox.Submit"/> answers <see cref="ExitSubmitOutcome.AcceptedOverCapacity"/>
    /// (or <see cref="ExitSubmitOutcome.Full"/> with <see cref="RefuseWhenFull"/>) and
    /// <see cref="ExitOutbox.OverCapacity"/> fires. Memory is bounded either way: the queue is the journal.
    /// </summary>
    public int Capacity { get; init; } = 10_000;

    /// <summary>
    /// Over capacity, refuse (journal nothing) instead of journaling anyway. Only for a decision
    /// side that can decide the same exit again later; the engine commits an exit to its in-memory
    /// state before handing it over, so for it a refusal would lose the exit: keep false.
    /// </summary>
    public bool RefuseWhenFull { get; init; }

    /// <summary>how long one publish waits for the stream's ack.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>backoff between failed attempts: doubles from min to max, then stays at max, forever.</summary>
    public TimeSpan RetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// failed attempts in a row of the same head exit, with NATS connected, before its position is
    /// parked (its exits wait, every other position's go on: ExitOutbox.Parking.cs).
    /// </summary>
    public int ParkAfterFailures { get; init; } = 5;

    /// <summary>how often a parked position's head exit is tried again, alone.</summary>
    public TimeSpan ParkedRetryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>exits read from the journal per query: bounds the publisher's memory.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// JetStream publishes in flight at once (sent in decision order on one connection, acks pending).
    /// 1 = the next exit is sent only after the previous one is acked. A bus that cannot pin publishes
    /// to a connection (<see cref="JetStreamClient.PinnableConnection"/> null; NatsBus always can) gets 1.
    /// </summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>
    /// How long acks gather before they are marked published (one transaction for all of them).
    /// Marks are bookkeeping (a lost one only means a republish), so they wait a little and stay out of
    /// the way of the exits' own commits. <see cref="ExitOutbox.Backlog"/> and
    /// <see cref="ExitOutbox.ExitPublished"/> follow the marks.
    /// </summary>
    public TimeSpan MarkDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// <see cref="ExitDurability.PublishFirst"/> (default): exits handed to <see cref="ExitOutbox.TryPublishFirst"/>
    /// go on the wire before their journal commit while the lane is open. <see cref="ExitDurability.JournalFirst"/>:
    /// every exit is fsynced, then published.
    /// </summary>
    public ExitDurability Durability { get; init; } = ExitDurability.PublishFirst;

    /// <summary>the stream exits go to; ensured (created/updated) before the first publish.</summary>
    public JetStreamStreamSpec Stream { get; init; } = ExitStream.Spec;
}
