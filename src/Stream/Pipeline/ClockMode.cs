namespace Streamer.Stream.Pipeline;

/// <summary>Where the shards' clock comes from (time rules fire from it when no tick arrives).</summary>
public enum ClockMode : byte
{
    /// <summary>live: the machine's UTC clock; each shard arms a timer for its engine's next wake.</summary>
    Wall,
    /// <summary>
    /// a tape at <c>Feed:Speed=0</c>: time is the tape's, ticks drive it (as in replay) and clock events
    /// fire at their exact instants between ticks; no timers.
    /// </summary>
    Virtual,
    /// <summary>
    /// a tape at <c>Feed:Speed=N</c>: tape time anchored at the first tick and advancing N× the wall
    /// clock; shards arm timers in that time.
    /// </summary>
    Scaled,
}
