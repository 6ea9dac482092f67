namespace Streamer.Stream.Contracts.Resilience;

/// <summary>
/// The one retry delay policy of src/Stream: exponential backoff, <see cref="Initial"/> × 2^retry,
/// capped at <see cref="Max"/>, with optional <see cref="BackoffJitter.Equal"/> jitter. It only
/// computes delays: each caller keeps its own retry count (and resets it when the thing it
/// retries worked again), and waits in its own way (an awaited delay, a thread's sleep, a
/// scheduled next try), because those loops differ in what they do between attempts (alerts,
/// state changes, giving up) in ways a generic retry executor would hide.
/// Used by the Alpaca market-data and trade_updates reconnects, the exit executor's order
/// retries, the exit dispatcher's journal retries, the NATS first-connect diagnosis and the control
/// service's start.
/// </summary>
/// <param name="Initial">the first delay (retry 0); 0 means retry at once, always</param>
/// <param name="Max">no delay is longer</param>
/// <param name="Jitter">how the delays are spread</param>
public readonly record struct Backoff(TimeSpan Initial, TimeSpan Max, BackoffJitter Jitter = BackoffJitter.None)
{
    // 2^30 × any sane initial delay is past any sane cap; keeps Math.Pow finite
    private const int MaxDoublings = 30;

    /// <summary>The delay before retry number <paramref name="retry"/> (0 for the first), jittered with <see cref="Random.Shared"/>.</summary>
    public TimeSpan Delay(int retry) => Delay(retry, Random.Shared);

    /// <summary>The delay before retry number <paramref name="retry"/> (0 for the first), jittered with <paramref name="random"/>.</summary>
    public TimeSpan Delay(int retry, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ceiling = Ceiling(retry);
        if (Jitter == BackoffJitter.None || ceiling <= TimeSpan.Zero) return ceiling;
        double half = ceiling.Ticks / 2.0;
        return TimeSpan.FromTicks((long)(half + random.NextDouble() * half));
    }

    /// <summary>The un-jittered delay before retry number <paramref name="retry"/>: min(<see cref="Max"/>, <see cref="Initial"/> × 2^retry).</summary>
    public TimeSpan Ceiling(int retry)
    {
        if (Initial <= TimeSpan.Zero || Max <= TimeSpan.Zero) return TimeSpan.Zero;
        double ticks = Initial.Ticks * Math.Pow(2, Math.Clamp(retry, 0, MaxDoublings));
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }
}
