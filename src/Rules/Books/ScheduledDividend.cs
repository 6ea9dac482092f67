namespace Streamer.Rules.Books;

/// <summary>A discrete cash dividend from the books file: the stock trades without it from the open of <paramref name="ExDate"/> (New York).</summary>
public readonly record struct ScheduledDividend(DateOnly ExDate, double Amount);
