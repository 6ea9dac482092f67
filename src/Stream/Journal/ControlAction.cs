namespace Streamer.Stream.Journal;

/// <summary>One operator action as journaled: when (UTC ns), who asked, the verb, the position it names, whether it was done, and why not.</summary>
public sealed record ControlAction(long Ordinal, long TimeNs, string Actor, string Verb, string? PositionId, bool Ok, string? Detail);
