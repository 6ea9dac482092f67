namespace Streamer.Stream.Nats;

/// <summary>What the stream should look like; <see cref="JetStreamClient.EnsureStreamAsync"/> makes it so.</summary>
/// <param name="Storage"><c>file</c> or <c>memory</c>.</param>
/// <param name="Retention"><c>limits</c>, <c>interest</c> or <c>workqueue</c>.</param>
/// <param name="MaxAge">zero keeps messages until other limits apply.</param>
/// <param name="DuplicateWindow">how long the server remembers a <c>Nats-Msg-Id</c> and drops a re-publish of it (docs/nats.md).</param>
/// <param name="Replicas">copies kept in a clustered JetStream (1..5; 1 on a single server). Set at creation: an existing stream keeps its own.</param>
public sealed record JetStreamStreamSpec(string Name, IReadOnlyList<string> Subjects, string Storage = "file", string Retention = "limits", TimeSpan MaxAge = default, TimeSpan DuplicateWindow = default, int Replicas = 1)
{
    /// <summary>the exit stream's default window: a restart and the republish of what was unacked fit well inside it.</summary>
    public static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(10);
}
