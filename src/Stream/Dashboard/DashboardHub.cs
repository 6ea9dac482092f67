using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Streamer.Stream.Service;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// The dashboard's state and fan-out: the latest snapshot of each underlying, the recent exits and
/// alerts, and the open pages. Fed by <see cref="ServiceEvents"/> with the payloads that go to NATS
/// (the same arrays: nothing is serialized again); snapshots arrive throttled per underlying, so with
/// pages open the cost is a dictionary store and one queue write per page per snapshot, and with none
/// a dictionary store. A page that connects gets the state first, then everything new.
/// </summary>
internal sealed class DashboardHub : IDisposable
{
    /// <summary>exits and alerts kept for a page that opens later.</summary>
    public const int Recent = 200;

    private readonly ServiceEvents _events;
    private readonly IPositionRegistry _registry;
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal); // ids no longer monitored: a snapshot kept from before may still list them
    private readonly ConcurrentDictionary<string, byte[]> _snapshots = new(StringComparer.Ordinal);
    private readonly Queue<byte[]> _exits = new();
    private readonly Queue<byte[]> _alerts = new();
    private readonly Lock _gate = new();
    private DashboardClient[] _clients = [];

    public DashboardHub(ServiceEvents events, IPositionRegistry registry)
    {
        _events = events;
        _registry = registry;
        registry.Removed += OnRemoved;
        events.Snapshot += OnSnapshot;
        events.Exit += OnExit;
        events.Alert += OnAlert;
    }

    public int ClientCount => Volatile.Read(ref _clients).Length;

    /// <summary>A new page: the state now (snapshots, recent exits and alerts), then live events.</summary>
    public DashboardClient Connect(SseItem hello)
    {
        var client = new DashboardClient(Disconnect);
        lock (_gate)
        {
            // under the gate: no exit or alert slips between the state and the first live event
            client.Post(hello);
            foreach (var s in _snapshots.Values) client.Post(new SseItem("snapshot", s));
            foreach (var id in _removed) client.Post(new SseItem("removed", RemovedJson(id)));
            foreach (var e in _exits) client.Post(new SseItem("exit", e));
            foreach (var a in _alerts) client.Post(new SseItem("alert", a));
            _clients = [.. _clients, client];
        }
        return client;
    }

    /// <summary>Sends an event to every open page (the health sampler's status).</summary>
    public void Broadcast(in SseItem item)
    {
        var clients = Volatile.Read(ref _clients);
        for (int i = 0; i < clients.Length; i++) clients[i].Post(item);
    }

    private void Disconnect(DashboardClient client)
    {
        lock (_gate) _clients = [.. _clients.Where(c => !ReferenceEquals(c, client))];
    }

    private void OnSnapshot(string subject, ReadOnlyMemory<byte> payload)
    {
        // the dispatcher hands the bus a fresh array per snapshot: kept as it is, no copy
        var bytes = MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();
        lock (_gate)
        {
            _snapshots[subject] = bytes;
            Broadcast(new SseItem("snapshot", bytes));
        }
    }

    // removed over NATS or from a page: every page drops the row (later snapshots of its underlying no longer list it)
    private void OnRemoved(string id)
    {
        lock (_gate)
        {
            _removed.Add(id);
            Broadcast(new SseItem("removed", RemovedJson(id)));
        }
    }

    private static byte[] RemovedJson(string id) => Streamer.Stream.Service.ServiceJson.Write(w => w.WriteString("id"u8, id));

    private void OnExit(byte[] payload) => Keep(_exits, "exit", payload);

    private void OnAlert(string kind, byte[] payload) => Keep(_alerts, "alert", payload);

    private void Keep(Queue<byte[]> recent, string name, byte[] payload)
    {
        lock (_gate)
        {
            if (recent.Count == Recent) recent.Dequeue();
            recent.Enqueue(payload);
            Broadcast(new SseItem(name, payload));
        }
    }

    public void Dispose()
    {
        _events.Snapshot -= OnSnapshot;
        _events.Exit -= OnExit;
        _events.Alert -= OnAlert;
        _registry.Removed -= OnRemoved;
        foreach (var c in Volatile.Read(ref _clients)) c.Dispose();
    }
}
