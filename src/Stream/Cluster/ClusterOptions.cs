using System.Globalization;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Cluster;

/// <summary>
/// The <c>Cluster</c> section (docs/cluster.md "Partitions and leases"): which engine this is, how
/// many partitions the underlyings hash into, and the lease timing. Every engine of one cluster must
/// agree on <see cref="Partitions"/>, the buckets and the lease timing; only <see cref="NodeId"/>
/// differs.
/// </summary>
public sealed record ClusterOptions : ISettingsSection
{
    public const int DefaultPartitions = 64;
    public const string DefaultLeaseBucket = "streamer-leases";
    public const string DefaultMembersBucket = "streamer-members";

    /// <summary><c>Cluster:Enabled</c> (false): off, one engine owns every underlying, as before.</summary>
    public bool Enabled { get; init; }

    /// <summary>
    /// <c>Cluster:NodeId</c>: this engine's name, unique in the cluster and stable across its restarts
    /// (letters, digits, <c>-</c>, <c>_</c>; at most 64). Two live engines with one id would both
    /// believe they hold the same leases: the id is the identity the leases are written under.
    /// </summary>
    public string? NodeId { get; init; }

    /// <summary><c>Cluster:Partitions</c> (64): the fixed number of partitions; changing it moves every underlying, so it is a cluster-wide redeploy.</summary>
    public int Partitions { get; init; } = DefaultPartitions;

    /// <summary>
    /// <c>Cluster:LeaseSeconds</c> (10): a lease not renewed for this long, as observed by another engine
    /// on its own monotonic clock, is expired and may be taken. It bounds the takeover time after a
    /// crash (about <see cref="LeaseSeconds"/> + <see cref="RenewSeconds"/>, docs/cluster.md).
    /// </summary>
    public double LeaseSeconds { get; init; } = 10;

    /// <summary><c>Cluster:RenewSeconds</c> (2): the heartbeat: every round renews the held leases and the member entry, and looks at the others.</summary>
    public double RenewSeconds { get; init; } = 2;

    /// <summary>
    /// <c>Cluster:FenceMarginSeconds</c> (1): the holder stops trusting its lease this long before another
    /// engine may judge it expired (rate drift between two monotonic clocks, the gap between a fence
    /// check and the publish it guards).
    /// </summary>
    public double FenceMarginSeconds { get; init; } = 1;

    /// <summary>
    /// <c>Cluster:MaxMovesPerRound</c> (4): how many held partitions one engine gives up per round to
    /// rebalance (a join). Taking over a dead engine's partitions is recovery, not a move: not capped.
    /// </summary>
    public int MaxMovesPerRound { get; init; } = 4;

    /// <summary><c>Cluster:LeaseBucket</c> (<c>streamer-leases</c>): the KV bucket of the leases, key <c>p.&lt;n&gt;</c>.</summary>
    public string LeaseBucket { get; init; } = DefaultLeaseBucket;

    /// <summary><c>Cluster:MembersBucket</c> (<c>streamer-members</c>): the KV bucket of the member heartbeats, key = node id.</summary>
    public string MembersBucket { get; init; } = DefaultMembersBucket;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public TimeSpan Renew => TimeSpan.FromSeconds(RenewSeconds);

    public TimeSpan FenceMargin => TimeSpan.FromSeconds(FenceMarginSeconds);

    /// <summary>How long after a successful renew the holder still trusts its lease: <see cref="LeaseSeconds"/> − <see cref="FenceMarginSeconds"/>.</summary>
    public TimeSpan TrustedFor => Lease - FenceMargin;

    public void Validate()
    {
        if (!Enabled) return;
        if (string.IsNullOrEmpty(NodeId))
            throw new SettingsException("Cluster:NodeId: required when Cluster:Enabled is true (a name unique in the cluster, stable across restarts)");
        if (!IsName(NodeId, 64))
            throw new SettingsException($"Cluster:NodeId: '{NodeId}' must be 1..64 letters, digits, '-' or '_' (it is a KV key)");
        ISettingsSection.InRange("Cluster:Partitions", Partitions, 1, 4096);
        ISettingsSection.InRange("Cluster:LeaseSeconds", LeaseSeconds, 0.5, 600);
        ISettingsSection.InRange("Cluster:FenceMarginSeconds", FenceMarginSeconds, 0.05, LeaseSeconds / 2);
        // one lost or late renew must not drop the lease: two renews fit in the trusted time
        ISettingsSection.InRange("Cluster:RenewSeconds", RenewSeconds, 0.05, (LeaseSeconds - FenceMarginSeconds) / 2);
        ISettingsSection.InRange("Cluster:MaxMovesPerRound", MaxMovesPerRound, 1, Partitions);
        foreach (var (key, bucket) in new[] { ("Cluster:LeaseBucket", LeaseBucket), ("Cluster:MembersBucket", MembersBucket) })
            if (!IsName(bucket, 128))
                throw new SettingsException($"{key}: '{bucket}' is not a KV bucket name (letters, digits, '-' or '_')");
        if (string.Equals(LeaseBucket, MembersBucket, StringComparison.Ordinal))
            throw new SettingsException(string.Create(CultureInfo.InvariantCulture, $"Cluster:MembersBucket: '{MembersBucket}' is Cluster:LeaseBucket too; leases and members need their own buckets"));
    }

    private static bool IsName(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength) return false;
        foreach (char c in value)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }
}
