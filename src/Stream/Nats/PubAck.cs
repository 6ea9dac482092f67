namespace Streamer.Stream.Nats;

/// <summary>The stream's acknowledgement of a published message.</summary>
public readonly record struct PubAck(string Stream, ulong Sequence, bool Duplicate);
