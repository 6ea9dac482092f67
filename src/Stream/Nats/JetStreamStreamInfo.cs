namespace Streamer.Stream.Nats;

/// <summary>The part of <c>STREAM.INFO</c> the service uses.</summary>
public sealed record JetStreamStreamInfo(string Name, IReadOnlyList<string> Subjects, string Storage, string Retention, TimeSpan MaxAge, ulong Messages, ulong FirstSequence, ulong LastSequence, TimeSpan DuplicateWindow);
