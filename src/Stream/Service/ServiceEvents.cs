namespace Streamer.Stream.Service;

/// <summary>
/// What the service publishes, for in-process watchers (the dashboard): the same snapshot, exit and
/// alert payloads that go to NATS, handed over as the very byte arrays the bus gets (no copy, no
/// extra serialization). Snapshots leave throttled per underlying (<c>Snapshots:Interval</c>), so a
/// watcher costs nothing per tick; with no watcher each event is one null check.
/// Handlers run on the publishing thread (the dispatcher's snapshot thread, the exit thread, the
/// alert's raiser): they must only hand the payload on, never block.
/// </summary>
public sealed class ServiceEvents
{
    /// <summary>(subject <c>streamer.snapshots.&lt;U&gt;</c>, the snapshot JSON).</summary>
    public event Action<string, ReadOnlyMemory<byte>>? Snapshot;

    /// <summary>An exit journaled (or sent first) this run: its exit event JSON, as on <c>streamer.exits.&lt;U&gt;</c>.</summary>
    public event Action<byte[]>? Exit;

    /// <summary>(kind, the alert JSON as on <c>streamer.alerts.&lt;kind&gt;</c>), also while NATS is away.</summary>
    public event Action<string, byte[]>? Alert;

    internal void OnSnapshot(string subject, ReadOnlyMemory<byte> payload) => Snapshot?.Invoke(subject, payload);

    internal void OnExit(byte[] payload) => Exit?.Invoke(payload);

    internal void OnAlert(string kind, byte[] payload) => Alert?.Invoke(kind, payload);
}
