namespace Streamer.Stream.Nats;

/// <summary>One message read back from a stream.</summary>
internal sealed record StreamMessage(string Subject, ulong StreamSequence, byte[] Data);
