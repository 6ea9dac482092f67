namespace Streamer.Stream.Cluster;

/// <summary>
/// Whether this engine may act for a partition now. An engine checks it before every publish for an
/// underlying of the partition and carries the fencing token with what it publishes.
/// </summary>
public interface IPartitionFence
{
    /// <summary>
    /// True only while this engine can prove its lease on <paramref name="partition"/> is live: its last
    /// successful take or renew was sent less than <see cref="ClusterOptions.TrustedFor"/> ago on its own
    /// monotonic clock. <paramref name="fencingToken"/> is the lease's revision when this engine took it
    /// (it grows with every change of owner, so a consumer can refuse a smaller one); 0 when false.
    /// </summary>
    bool IsOwned(int partition, out ulong fencingToken);
}

public enum PartitionChangeKind
{
    /// <summary>this engine took the lease: adopt the partition's positions.</summary>
    Gained,

    /// <summary>this engine no longer holds the lease: stop acting for the partition at once.</summary>
    Lost,
}

/// <summary>Why a partition was gained or lost (logs, metrics, docs/cluster.md).</summary>
public enum PartitionChangeReason
{
    /// <summary>taken while free (never held, or released by its owner).</summary>
    TakenFree,

    /// <summary>taken after its lease went unrenewed for the lease time.</summary>
    TakenExpired,

    /// <summary>lost: no successful renew within the trusted time (a pause, NATS away).</summary>
    Lapsed,

    /// <summary>lost: the renew's compare-and-set failed, someone else took it.</summary>
    Superseded,

    /// <summary>given up to the member rendezvous hashing now prefers.</summary>
    Rebalanced,

    /// <summary>given up on a graceful leave.</summary>
    Released,
}

public readonly record struct PartitionChange(int Partition, PartitionChangeKind Kind, PartitionChangeReason Reason, ulong FencingToken);
