namespace Streamer.Stream.Contracts.Resilience;

/// <summary>How a <see cref="Backoff"/> spreads its delays.</summary>
public enum BackoffJitter
{
    /// <summary>Exactly the exponential delay: for one process retrying its own resource (the journal, the broker's REST API).</summary>
    None,

    /// <summary>"Equal jitter": half the delay fixed, the other half uniformly random, so that many clients reconnecting to one server spread out.</summary>
    Equal,
}
