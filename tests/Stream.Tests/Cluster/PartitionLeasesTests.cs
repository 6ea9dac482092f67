using Microsoft.Extensions.Time.Testing;
using Streamer.Stream.Cluster;

namespace Streamer.Stream.Tests.Cluster;

/// <summary>
/// The lease protocol on a fake clock and an in-memory bucket: every round is stepped by hand, so the
/// fence's lapse, the observer's wait and the interleavings of pauses and slow requests are exact.
/// </summary>
public sealed class PartitionLeasesTests
{
    private static readonly ClusterOptions Options = new()
    {
        Enabled = true,
        Partitions = 8,
        LeaseSeconds = 2,
        RenewSeconds = 0.5,
        FenceMarginSeconds = 0.4,
        MaxMovesPerRound = 2,
    };

    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryBucket _leases = new();
    private readonly InMemoryBucket _members = new();

    private PartitionLeases Node(string id, ClusterOptions? options = null) =>
        new((options ?? Options) with { NodeId = id }, _leases, _members, _time);

    private static Task Round(PartitionLeases node) => node.RoundAsync(CancellationToken.None);

    [Fact]
    public async Task A_lone_engine_takes_every_partition_with_its_revision_as_the_token()
    {
        var a = Node("a");
        var gained = new List<PartitionChange>();
        a.Changed += gained.Add;
        await Round(a);

        Assert.Equal(Enumerable.Range(0, 8), a.OwnedPartitions());
        Assert.Equal(8, gained.Count);
        Assert.All(gained, g => Assert.Equal((PartitionChangeKind.Gained, PartitionChangeReason.TakenFree), (g.Kind, g.Reason)));
        Assert.True(a.IsOwned(3, out ulong token));
        Assert.Equal(gained.Single(g => g.Partition == 3).FencingToken, token);
        Assert.Equal(new LeaseRecord("a", 1, _time.GetUtcNow().ToUnixTimeMilliseconds(), 2000), _leases.Lease(3));

        // a renew keeps the token (it is the take's revision) while the key's revision moves on
        _time.Advance(Options.Renew);
        await Round(a);
        Assert.True(a.IsOwned(3, out ulong renewed));
        Assert.Equal(token, renewed);
    }

    [Fact]
    public async Task The_fence_says_no_once_the_last_renew_is_older_than_the_trusted_time_with_no_round_run()
    {
        var a = Node("a");
        await Round(a);
        _time.Advance(Options.TrustedFor - TimeSpan.FromMilliseconds(1));
        Assert.True(a.IsOwned(0, out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(a.IsOwned(0, out ulong token));
        Assert.Equal(0UL, token);
        Assert.Empty(a.OwnedPartitions());
    }

    [Fact]
    public async Task An_observer_takes_an_unrenewed_lease_only_after_its_revision_stood_still_for_the_lease_time()
    {
        var a = Node("a");
        var b = Node("b");
        await Round(a);
        await Round(b); // b first sees a's leases (and a as a member) now
        var firstSeen = _time.GetTimestamp();
        // a stops (a crash): b keeps looking every renew
        while (_time.GetElapsedTime(firstSeen) < Options.Lease)
        {
            Assert.Empty(b.OwnedPartitions());
            _time.Advance(Options.Renew);
            if (_time.GetElapsedTime(firstSeen) >= Options.TrustedFor) Assert.Empty(a.OwnedPartitions());
            await Round(b);
        }
        Assert.Equal(Enumerable.Range(0, 8), b.OwnedPartitions());
        Assert.Equal(["b"], b.LiveMembers);
        Assert.All(Enumerable.Range(0, 8), p => Assert.Equal(2UL, _leases.Lease(p)!.Epoch));
    }

    [Fact]
    public async Task A_paused_engine_loses_what_was_taken_and_its_late_renews_fail()
    {
        var a = Node("a");
        var b = Node("b");
        var lost = new List<PartitionChange>();
        a.Changed += c => { if (c.Kind == PartitionChangeKind.Lost) lost.Add(c); };
        await Round(a);
        var tokens = Enumerable.Range(0, 8).Select(p => a.IsOwned(p, out ulong t) ? t : 0).ToArray();
        for (int i = 0; i < 6; i++) { _time.Advance(Options.Renew); await Round(b); } // a paused for 3 s
        Assert.Equal(Enumerable.Range(0, 8), b.OwnedPartitions());
        Assert.Empty(a.OwnedPartitions());

        await Round(a); // resumed
        Assert.Equal(8, lost.Count);
        Assert.All(lost, l => Assert.Equal(PartitionChangeReason.Lapsed, l.Reason));
        // rebalancing hands a its partitions back over the next rounds: each with a new, larger token
        for (int i = 0; i < 12; i++) { _time.Advance(Options.Renew); await Round(a); await Round(b); }
        var mine = a.OwnedPartitions();
        Assert.NotEmpty(mine);
        Assert.All(mine, p => Assert.True(a.IsOwned(p, out ulong t) && t > tokens[p]));
        Assert.Equal(8, mine.Count + b.OwnedPartitions().Count);
    }

    [Fact]
    public async Task A_renew_answered_after_the_fence_said_no_does_not_revive_the_lease()
    {
        var a = Node("a");
        await Round(a);
        Assert.True(a.IsOwned(0, out ulong token));
        _time.Advance(Options.Renew);
        // the renew's request takes longer than the trusted time in flight
        bool slow = true;
        _leases.BeforeEachOperation = () => { if (slow) { slow = false; _time.Advance(Options.TrustedFor); } };
        var changes = new List<PartitionChange>();
        a.Changed += changes.Add;
        await Round(a);
        Assert.Contains(changes, c => c is { Partition: 0, Kind: PartitionChangeKind.Lost, Reason: PartitionChangeReason.Lapsed });
        // the key still holds a's own last write: a takes it again at once, with a new token
        Assert.Contains(changes, c => c is { Partition: 0, Kind: PartitionChangeKind.Gained });
        Assert.True(a.IsOwned(0, out ulong again));
        Assert.True(again > token);
    }

    [Fact]
    public async Task Rebalancing_gives_up_at_most_MaxMovesPerRound_a_round()
    {
        var a = Node("a");
        var b = Node("b");
        await Round(a);
        await Round(b);
        var wanted = RendezvousAssignment.Assign(8, ["a", "b"]).Count(o => o == "b");
        Assert.True(wanted > Options.MaxMovesPerRound, "the ids give b more than one round's moves");
        _time.Advance(Options.Renew);
        await Round(a);
        Assert.Equal(8 - Options.MaxMovesPerRound, a.OwnedPartitions().Count);
        for (int i = 0; i < 6; i++) { _time.Advance(Options.Renew); await Round(b); await Round(a); }
        Assert.Equal(wanted, b.OwnedPartitions().Count);
        Assert.Equal(8 - wanted, a.OwnedPartitions().Count);
    }

    [Fact]
    public async Task A_graceful_leave_frees_its_leases_for_the_next_round_of_the_others()
    {
        var a = Node("a");
        var b = Node("b");
        await Round(a);
        await Round(b);
        await a.DisposeAsync();
        Assert.All(Enumerable.Range(0, 8), p => Assert.True(_leases.Lease(p)!.IsReleased));
        _time.Advance(Options.Renew);
        await Round(b);
        Assert.Equal(Enumerable.Range(0, 8), b.OwnedPartitions());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Under_random_pauses_and_slow_requests_no_partition_ever_has_two_owners(int seed)
    {
        var random = new Random(seed);
        var nodes = new[] { Node("a"), Node("b"), Node("c") };
        var pausedUntil = new long[nodes.Length];
        var lastToken = new ulong[Options.Partitions];
        int handovers = 0;
        var shrinking = new List<string>();
        foreach (var node in nodes)
            node.Changed += c =>
            {
                if (c.Kind != PartitionChangeKind.Gained) return;
                // tokens only grow: a consumer that keeps the largest refuses every stale owner (collected:
                // the engine shields the round from its subscribers' exceptions)
                if (c.FencingToken <= lastToken[c.Partition]) shrinking.Add($"partition {c.Partition}: token {c.FencingToken} after {lastToken[c.Partition]}");
                lastToken[c.Partition] = c.FencingToken;
                handovers++;
            };
        // a request and its reply each take 0..50 ms in flight, one in 50 up to 3 s (a GC pause, a slow server)
        Action flight = () => _time.Advance(TimeSpan.FromMilliseconds(random.Next(50) == 0 ? random.Next(3000) : random.Next(50)));
        _leases.BeforeEachOperation = flight;
        _leases.AfterEachOperation = flight;

        for (int step = 0; step < 3000; step++)
        {
            int i = random.Next(nodes.Length);
            if (random.Next(40) == 0) pausedUntil[i] = _time.GetTimestamp() + TimeSpan.FromSeconds(random.Next(1, 6)).Ticks;
            if (_time.GetTimestamp() >= pausedUntil[i]) await Round(nodes[i]);
            _time.Advance(TimeSpan.FromMilliseconds(random.Next(300)));
            for (int p = 0; p < Options.Partitions; p++)
            {
                int owners = nodes.Count(n => n.IsOwned(p, out _));
                Assert.True(owners <= 1, $"step {step}: partition {p} has {owners} owners");
            }
        }
        Assert.Empty(shrinking);
        Assert.True(handovers > 20, $"the schedule moved partitions around ({handovers} takes)");
    }
}
