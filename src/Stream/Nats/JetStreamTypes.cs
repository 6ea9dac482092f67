namespace Streamer.Stream.Nats;

/// <summary>What the stream should look like; <see cref="JetStreamClient.EnsureStreamAsync"/> makes it so.</summary>
/// <param name="Storage"><c>file</c> or <c>memory</c>.</param>
/// <param name="Retention"><c>limits</c>, <c>interest</c> or <c>workqueue</c>.</param>
/// <param name="MaxAge">zero keeps messages until other limits apply.</param>
public sealed record JetStreamStreamSpec(string Name, IReadOnlyList<string> Subjects, string Storage = "file", string Retention = "limits", TimeSpan MaxAge = default);

public enum StreamEnsureOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>The stream's acknowledgement of a published message.</summary>
public readonly record struct PubAck(string Stream, ulong Sequence, bool Duplicate);

/// <summary>The part of <c>STREAM.INFO</c> the service uses.</summary>
public sealed record JetStreamStreamInfo(string Name, IReadOnlyList<string> Subjects, string Storage, string Retention, TimeSpan MaxAge, ulong Messages, ulong FirstSequence, ulong LastSequence);

/// <summary>One message read back from a stream.</summary>
internal sealed record StreamMessage(string Subject, ulong StreamSequence, byte[] Data);
