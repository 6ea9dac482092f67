
namespace Streamer.Stream.Pipeline;

public enum ShardItemKind : byte
{
    Tick,
    /// <summary>virtual clock: advance the engine to <see cref="ShardItem.Tick"/>.TimeNs (fires time rules due by then).</summary>
    Clock,
    /// <summary>a position add/remove/query (<see cref="ShardItem.Command"/>): runs in order with the ticks, on the shard's thread.</summary>
    Command,
}
