namespace Streamer.Feed.Synth;

/// <summary>What a synthetic tape contains.</summary>
public sealed record SynthResult(
    long Rows,
    long UnderlyingQuotes,
    long Trades,
    long OptionQuotes,
    long BadQuotes,
    int Sessions,
    long FirstTimeNs,
    long LastTimeNs);
