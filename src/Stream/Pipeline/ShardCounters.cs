using System.Runtime.InteropServices;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The counters a shard thread writes on every tick, on cache lines of their own: next to the shard's
/// other fields (the channel writer and the wake-up signal, which every posting thread reads per
/// tick) each write would take the line away from those readers (false sharing).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct ShardCounters
{
    [FieldOffset(64)] public long Ticks;
    [FieldOffset(72)] public long ClockEvents;
    [FieldOffset(80)] public long Exits;
}
