using System.Collections.Concurrent;
using System.Diagnostics;
using Streamer.Stream.Cluster;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Streamer.Stream.Tests.Cluster;

/// <summary>
/// Partition leases on a real nats-server (JetStream KV): lease 2 s, renew 0.5 s, 64 partitions. Waits
/// are bounded and generous (a shared 2-core machine); the times are printed, the bounds asserted are
/// the protocol's with room for a noisy host.
/// </summary>
public sealed class PartitionLeaseTests(ITestOutputHelper output)
{
    private static readonly string[] Three = ["engine-a", "engine-b", "engine-c"];

    [Fact]
    public async Task Three_engines_take_every_partition_once_and_balanced()
    {
        await using var cluster = new ClusterHarness();
        foreach (var id in Three) await cluster.StartNodeAsync(id);

        await cluster.UntilSettledAsync();

        var owners = cluster.Owners();
        Assert.All(owners, Assert.NotNull);
        var counts = Three.ToDictionary(id => id, id => owners.Count(o => o == id));
        output.WriteLine($"partitions per engine: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}");
        // rendezvous hashing is balanced in expectation (64/3 ≈ 21); no engine is idle or holds most
        Assert.All(counts.Values, c => Assert.InRange(c, 64 / 3 / 2, 64 / 3 * 2));
        foreach (var node in cluster.Nodes) Assert.Equal(Three, node.LiveMembers);
        Assert.True(cluster.Samples > 100, $"the sampler ran ({cluster.Samples})");
        Assert.Empty(cluster.DoubleOwners);
    }

    [Fact]
    public async Task A_crashed_engines_partitions_move_to_the_others_within_the_lease_time()
    {
        await using var cluster = new ClusterHarness();
        foreach (var id in Three) await cluster.StartNodeAsync(id);
        await cluster.UntilSettledAsync();
        var victim = cluster.Nodes.Single(n => n.NodeId == "engine-b");
        var orphaned = victim.OwnedPartitions();
        Assert.NotEmpty(orphaned);

        var clock = Stopwatch.StartNew();
        await cluster.CrashAsync(victim);
        await Waits.UntilAsync(() => orphaned.All(p => cluster.Owners()[p] is not null), "every partition of the crashed engine owned again", TimeSpan.FromSeconds(60));
        var takeover = clock.Elapsed;

        var options = cluster.Options;
        output.WriteLine($"takeover of {orphaned.Count} partitions after a crash: {takeover.TotalSeconds:F2} s (lease {options.LeaseSeconds} s, renew {options.RenewSeconds} s; expected at most lease + renew = {options.LeaseSeconds + options.RenewSeconds} s plus a round's work)");
        await cluster.UntilSettledAsync();
        Assert.All(cluster.Owners(), o => Assert.NotEqual("engine-b", o));
        // the protocol's bound is lease + renew; twice that is the room a busy host gets before it is a failure
        Assert.True(takeover < 2 * (options.Lease + options.Renew), $"takeover took {takeover.TotalSeconds:F2} s");
        // nothing moved early: the survivors waited for the lease to run out on their own clocks
        Assert.True(takeover >= options.Lease - options.Renew, $"takeover after only {takeover.TotalSeconds:F2} s");
        Assert.Empty(cluster.DoubleOwners);
    }

    [Fact]
    public async Task An_engine_paused_past_its_lease_is_fenced_on_resume_and_regains_nothing_with_an_old_token()
    {
        await using var cluster = new ClusterHarness();
        foreach (var id in Three) await cluster.StartNodeAsync(id);
        await cluster.UntilSettledAsync();
        var paused = cluster.Nodes.Single(n => n.NodeId == "engine-a");
        var held = new Dictionary<int, ulong>();
        foreach (int p in paused.OwnedPartitions())
        {
            Assert.True(paused.IsOwned(p, out ulong token));
            held[p] = token;
        }
        var oldTokens = new ConcurrentDictionary<int, ulong>(held);
        var stale = new ConcurrentQueue<string>();
        cluster.OnOwnedSample = (node, p, token) =>
        {
            if (ReferenceEquals(node, paused) && oldTokens.TryGetValue(p, out ulong old) && old == token) stale.Enqueue($"partition {p} token {token}");
        };
        // the lapse is the protocol's: arm the stale-token check only once the fence has said no
        var frozen = paused.FreezeRounds();
        try
        {
            var clock = Stopwatch.StartNew();
            await Waits.UntilAsync(() => paused.OwnedPartitions().Count == 0, "the paused engine's fence says no for everything", TimeSpan.FromSeconds(30));
            output.WriteLine($"paused engine fenced after {clock.Elapsed.TotalSeconds:F2} s (trusted for {cluster.Options.TrustedFor.TotalSeconds} s after its last renew)");
            Assert.True(clock.Elapsed < cluster.Options.Lease + TimeSpan.FromSeconds(1), $"fenced only after {clock.Elapsed.TotalSeconds:F2} s");
            stale.Clear(); // samples before the lapse were the live lease
            // the others take its partitions while it sleeps
            await Waits.UntilAsync(() => held.Keys.All(p => cluster.Owners()[p] is { } o && o != "engine-a"), "the paused engine's partitions taken by the others", TimeSpan.FromSeconds(60));
        }
        finally
        {
            frozen.Dispose();
        }

        // resumed: it loses every lease it held (lapsed, or superseded on its first renew), then rejoins and
        // rendezvous hashing gives it its partitions back, each with a new, larger token
        await cluster.UntilSettledAsync();
        var lost = cluster.Changes.Where(c => c.Node == "engine-a" && c.Change.Kind == PartitionChangeKind.Lost).Select(c => c.Change).ToList();
        Assert.All(held.Keys, p => Assert.Contains(lost, l => l.Partition == p && l.Reason is PartitionChangeReason.Lapsed or PartitionChangeReason.Superseded));
        foreach (var (p, oldToken) in held)
        {
            Assert.True(paused.IsOwned(p, out ulong token), $"partition {p} back with engine-a");
            Assert.True(token > oldToken, $"partition {p}: token {token} after {oldToken}");
        }
        Assert.Empty(stale);
        Assert.Empty(cluster.DoubleOwners);
    }

    [Fact]
    public async Task A_fourth_engine_joining_moves_only_the_partitions_it_wins()
    {
        await using var cluster = new ClusterHarness();
        foreach (var id in Three) await cluster.StartNodeAsync(id);
        await cluster.UntilSettledAsync();
        var before = cluster.Owners();
        int gainedBefore = cluster.Changes.Count(c => c.Change.Kind == PartitionChangeKind.Gained);

        await cluster.StartNodeAsync("engine-d");
        await cluster.UntilSettledAsync();

        var after = cluster.Owners();
        int moved = before.Zip(after).Count(x => x.First != x.Second);
        int gained = cluster.Changes.Count(c => c.Change.Kind == PartitionChangeKind.Gained) - gainedBefore;
        output.WriteLine($"join of a 4th engine: {moved} of 64 partitions moved, {gained} takes in all (ceil(P/4) = 16)");
        Assert.All(before.Zip(after).Where(x => x.First != x.Second), x => Assert.Equal("engine-d", x.Second));
        // every move is one take: no partition went back and forth while the views converged
        Assert.Equal(moved, gained);
        Assert.InRange(moved, 1, 16 + 6);
        Assert.Empty(cluster.DoubleOwners);
    }

    [Fact]
    public async Task A_graceful_leave_releases_at_once()
    {
        await using var cluster = new ClusterHarness(ClusterHarness.Fast with { LeaseSeconds = 6, RenewSeconds = 0.5, FenceMarginSeconds = 1 });
        foreach (var id in Three) await cluster.StartNodeAsync(id);
        await cluster.UntilSettledAsync();
        var leaving = cluster.Nodes.Single(n => n.NodeId == "engine-c");
        var released = leaving.OwnedPartitions();

        var clock = Stopwatch.StartNew();
        await cluster.LeaveAsync(leaving);
        await cluster.UntilSettledAsync();
        output.WriteLine($"graceful leave: {released.Count} partitions moved in {clock.Elapsed.TotalSeconds:F2} s (lease {cluster.Options.LeaseSeconds} s)");
        // released leases are free: taken on the next rounds, not after the lease time
        Assert.True(clock.Elapsed < cluster.Options.Lease, $"took {clock.Elapsed.TotalSeconds:F2} s");
        Assert.Empty(cluster.DoubleOwners);
    }

    [Fact]
    public async Task A_stale_compare_and_set_loses_and_the_holder_is_fenced()
    {
        await using var cluster = new ClusterHarness();
        var holder = await cluster.StartNodeAsync("engine-a");
        await Waits.UntilAsync(() => holder.IsOwned(0, out _), "engine-a holds partition 0");
        Assert.True(holder.IsOwned(0, out ulong token));

        using var bus = await TestBus.ConnectedAsync(cluster.Server.Url);
        var bucket = await NatsVersionedBucket.OpenAsync(new JetStreamClient(bus), cluster.Options.LeaseBucket, null, CancellationToken.None);
        var entry = await bucket.GetAsync(PartitionMap.LeaseKey(0), CancellationToken.None);
        Assert.NotNull(entry);
        // an intruder writes at the current revision; whoever writes at an older one loses
        var intruder = new LeaseRecord("intruder", 99, 0, 2000).Encode();
        var won = await bucket.UpdateAsync(PartitionMap.LeaseKey(0), intruder, entry.Revision, CancellationToken.None);
        Assert.NotNull(won);
        Assert.Null(await bucket.UpdateAsync(PartitionMap.LeaseKey(0), intruder, entry.Revision, CancellationToken.None));
        Assert.Null(await bucket.CreateAsync(PartitionMap.LeaseKey(0), intruder, CancellationToken.None));

        // the holder's next renew is a CAS at the revision it holds: it fails, and the fence says no at once
        await Waits.UntilAsync(() => cluster.Changes.Any(c => c.Change is { Partition: 0, Kind: PartitionChangeKind.Lost, Reason: PartitionChangeReason.Superseded }), "engine-a lost partition 0 to the intruder", TimeSpan.FromSeconds(30));
        Assert.False(holder.IsOwned(0, out _) && holder.IsOwned(0, out ulong again) && again == token);
        // the intruder never renews: after the lease time engine-a takes it back with a new token
        await Waits.UntilAsync(() => holder.IsOwned(0, out ulong t) && t > won.Value, "engine-a retook partition 0 after the intruder's lease expired", TimeSpan.FromSeconds(30));
    }
}
