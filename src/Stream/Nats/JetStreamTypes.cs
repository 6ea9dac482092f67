namespace Streamer.Stream.Nats;

/// <summary>What the stream should look like; <see cref="JetStreamClient.EnsureStreamAsync"/> makes it so.</summary>
/// <param name="Storage"><c>file</c> or <c>memory</c>.</param>
/// <param name="Retention"><c>limits</c>, <c>interest</c> or <c>workqueue</c>.</param>
/// <param name="MaxAge">zero keeps messages until other limits apply.</param>
/// <param name="DuplicateWindow">how long the server remembers a <c>Nats-Msg-Id</c> and drops a re-publish of it (docs/nats.md).</param>
public sealed record JetStreamStreamSpec(string Name, IReadOnlyList<string> Subjects, string Storage = "file", string Retention = "limits", TimeSpan MaxAge = default, TimeSpan DuplicateWindow = default)
{
    /// <summary>the exit stream's default window: a restart and the republish of what was unacked fit well inside it.</summary>
    public static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(10);
}

public enum StreamEnsureOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>The stream's acknowledgement of a published message.</summary>
public readonly record struct PubAck(string Stream, ulong Sequence, bool Duplicate);

/// <summary>The part of <c>STREAM.INFO</c> the service uses.</summary>
public sealed record JetStreamStreamInfo(string Name, IReadOnlyList<string> Subjects, string Storage, string Retention, TimeSpan MaxAge, ulong Messages, ulong FirstSequence, ulong LastSequence, TimeSpan DuplicateWindow);

/// <summary>One message read back from a stream.</summary>
internal sealed record StreamMessage(string Subject, ulong StreamSequence, byte[] Data);
