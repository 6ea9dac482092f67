using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;
namespace Streamer.Stream.Service;

/// <summary>
/// Snapshots on NATS core (fire and forget: a snapshot lost to an outage is replaced by the next one),
/// and the same payload to in-process watchers (<see cref="ServiceEvents"/>: the dashboard).
/// </summary>
internal sealed class BusSnapshotTarget(IMessageBus bus, ServiceEvents? events = null) : ISnapshotTarget
{
    public void Publish(string subject, ReadOnlyMemory<byte> payload)
    {
        bus.TryPublish(subject, payload);
        events?.OnSnapshot(subject, payload);
    }
}
