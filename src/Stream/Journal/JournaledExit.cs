namespace Streamer.Stream.Journal;

/// <summary>An exit as the journal has it.</summary>
/// <param name="PublishedAtNs">when the stream acknowledged it; null while unpublished.</param>
/// <param name="StreamSequence">the JetStream sequence of the acknowledged publish.</param>
public sealed record JournaledExit(
    string Id,
    string PositionId,
    long Sequence,
    string Subject,
    byte[] Payload,
    long DecidedAtNs,
    long? PublishedAtNs,
    ulong? StreamSequence);
