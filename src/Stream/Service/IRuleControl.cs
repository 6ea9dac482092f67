namespace Streamer.Stream.Service;

/// <summary>Pausing and resuming a monitored position's rules (the live pipeline implements it: the engine of the position's shard).</summary>
public interface IRuleControl
{
    /// <summary>True when the position is monitored and now is paused (or resumed); false when nobody monitors it.</summary>
    Task<bool> SetPausedAsync(string positionId, bool paused);

    /// <summary>Closes the position now with an exit of rule <c>manual</c> on its shard (docs/run.md "Control API").</summary>
    Task<Streamer.Stream.Pipeline.CloseNowResult> CloseNowAsync(string positionId, string actor);
}
