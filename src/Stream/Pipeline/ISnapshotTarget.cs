
namespace Streamer.Stream.Pipeline;

/// <summary>Where snapshot messages go (the service: <c>IMessageBus.TryPublish</c>). Called from the dispatcher's thread only.</summary>
public interface ISnapshotTarget
{
    void Publish(string subject, ReadOnlyMemory<byte> payload);
}
