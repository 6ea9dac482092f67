namespace Streamer.Stream.Nats;

/// <summary>One received message. <see cref="ReplyTo"/> is null when none was asked for.</summary>
public sealed record BusMessage(string Subject, string? ReplyTo, byte[] Data);
