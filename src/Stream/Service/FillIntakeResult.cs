namespace Streamer.Stream.Service;

public readonly record struct FillIntakeResult(FillIntakeOutcome Outcome, string? Error);
