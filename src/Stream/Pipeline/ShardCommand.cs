using Streamer.Rules.Positions;

namespace Streamer.Stream.Pipeline;

/// <summary>Intake and queries that run on a shard's thread, in order with its ticks (cold path: allocating is fine).</summary>
public abstract class ShardCommand
{
    /// <summary>Runs on the shard thread; must not throw (failures complete the caller's task).</summary>
    public abstract void Execute(Shard shard);

    /// <summary>The shard is stopped and will never run it: the caller's task fails instead of hanging.</summary>
    public abstract void Abandon();
}
