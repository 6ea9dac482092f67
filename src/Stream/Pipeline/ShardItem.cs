using System.Runtime.InteropServices;
using Streamer.Rules.Market;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// What travels in a shard's channel: a tick (by value), a virtual clock step or a command. One
/// channel for all three keeps intake in order with the ticks and never racing the engine.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct ShardItem
{
    public readonly Tick Tick;
    /// <summary>Stopwatch timestamp when the tick entered the pipeline (for tick-in → decision-out latency).</summary>
    public readonly long IngressTimestamp;
    public readonly ShardCommand? Command;
    public readonly ShardItemKind Kind;

    private ShardItem(ShardItemKind kind, in Tick tick, long ingress, ShardCommand? command)
    {
        Kind = kind;
        Tick = tick;
        IngressTimestamp = ingress;
        Command = command;
    }

    public static ShardItem ForTick(in Tick tick, long ingressTimestamp) => new(ShardItemKind.Tick, tick, ingressTimestamp, null);

    public static ShardItem ForClock(long timeNs, long ingressTimestamp) => new(ShardItemKind.Clock, new Tick { TimeNs = timeNs }, ingressTimestamp, null);

    public static ShardItem ForCommand(ShardCommand command) => new(ShardItemKind.Command, default, 0, command);
}
