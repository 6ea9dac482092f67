using System.Runtime.CompilerServices;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Cluster;

/// <summary>
/// This engine's side of partition ownership (docs/cluster.md "Partitions and leases"). Every
/// <see cref="ClusterOptions.RenewSeconds"/> one round: heartbeat the member entry and see who else is
/// live; renew the held leases (compare-and-set at the revision held), give up those rendezvous
/// hashing now prefers for another member (at most <see cref="ClusterOptions.MaxMovesPerRound"/>);
/// look at every other lease and take the free or expired ones that are this engine's to take. A lease
/// is expired when its revision has not moved for the lease time on this engine's own monotonic clock
/// (no wall clock compared across hosts). <see cref="IsOwned"/> is the fence: it needs no I/O and
/// answers false once the last renew is older than the trusted time, so a paused engine is fenced on
/// resume before its loop runs again.
/// </summary>
public sealed class PartitionLeases : IPartitionFence, IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly IVersionedBucket _leases;
    private readonly IVersionedBucket _members;
    private readonly TimeProvider _time;
    private readonly string _node;
    private readonly string[] _keys;
    private readonly long _startedAtUnixMs;

    // written by the round only; read by IsOwned from any thread (one reference read, no lock)
    private readonly Holding?[] _held;

    // the round's own state: what it saw of each lease and member, and when it first saw that revision
    private readonly Observation[] _seenLeases;
    private readonly Dictionary<string, Observation> _seenMembers = new(StringComparer.Ordinal);
    private readonly ulong[] _lastWritten;

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private string[] _live;
    private TaskCompletionSource? _frozen;
    private long _rounds;
    private int _disposed;

    internal PartitionLeases(ClusterOptions options, IVersionedBucket leases, IVersionedBucket members, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!options.Enabled) ThrowNotEnabled();
        _options = options;
        _leases = leases;
        _members = members;
        _time = time;
        _node = options.NodeId!;
        _keys = [.. Enumerable.Range(0, options.Partitions).Select(PartitionMap.LeaseKey)];
        _held = new Holding?[options.Partitions];
        _seenLeases = new Observation[options.Partitions];
        _lastWritten = new ulong[options.Partitions];
        _live = [_node];
        _startedAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Opens (or creates) the two buckets and starts the rounds; the first round runs at once.</summary>
    public static async Task<PartitionLeases> StartAsync(ClusterOptions options, JetStreamClient jetStream, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var leases = await NatsVersionedBucket.OpenAsync(jetStream, options.LeaseBucket, maxAge: null, cancellationToken).ConfigureAwait(false);
        // a member that died leaves its entry behind; the bucket's age limit removes it eventually
        // (liveness itself is judged from the revision moving, never from this age)
        var memberAge = TimeSpan.FromSeconds(Math.Max(60, options.LeaseSeconds * 10));
        var members = await NatsVersionedBucket.OpenAsync(jetStream, options.MembersBucket, memberAge, cancellationToken).ConfigureAwait(false);
        var node = new PartitionLeases(options, leases, members, time ?? TimeProvider.System);
        node.Start();
        return node;
    }

    public string NodeId => _node;

    public ClusterOptions Options => _options;

    /// <summary>The members this engine saw live in its last round (itself included), ordinal order.</summary>
    public IReadOnlyList<string> LiveMembers => Volatile.Read(ref _live);

    /// <summary>Rounds run so far (tests, the heartbeat).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>A gained or lost partition, raised on the round's thread, Lost before the lease is given up.</summary>
    public event Action<PartitionChange>? Changed;

    /// <summary>A round that failed (NATS away, a timeout): the leases it could not renew lapse by themselves.</summary>
    public event Action<string>? Problem;

    public bool IsOwned(int partition, out ulong fencingToken)
    {
        if ((uint)partition >= (uint)_held.Length) ThrowPartitionOutOfRange(partition, _held.Length);
        var holding = Volatile.Read(ref _held[partition]);
        if (holding is not null && IsTrusted(holding))
        {
            fencingToken = holding.Token;
            return true;
        }
        fencingToken = 0;
        return false;
    }

    /// <summary>The partitions <see cref="IsOwned"/> answers true for now.</summary>
    public IReadOnlyList<int> OwnedPartitions()
    {
        var owned = new List<int>();
        for (int p = 0; p < _held.Length; p++)
            if (IsOwned(p, out _)) owned.Add(p);
        return owned;
    }

    internal void Start() => _loop = Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(_options.Renew, _time);
        try
        {
            do
            {
                if (Volatile.Read(ref _frozen) is { } frozen) await frozen.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                using var roundLimit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                // a round that cannot finish within the trusted time has lost its leases anyway
                roundLimit.CancelAfter(_options.TrustedFor);
                try
                {
                    await RoundAsync(roundLimit.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested && e is not OutOfMemoryException)
                {
                    ReportProblem(e);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>One round (the loop runs it every <see cref="ClusterOptions.RenewSeconds"/>; tests call it directly).</summary>
    internal async Task RoundAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _rounds);
        var live = await HeartbeatAndObserveMembersAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _live, live);

        int released = 0;
        for (int p = 0; p < _held.Length; p++)
        {
            var holding = _held[p];
            if (holding is null) continue;
            if (!IsTrusted(holding))
            {
                // a pause or an outage outlived the trusted time: the lease may be someone else's already
                Drop(p, holding, PartitionChangeReason.Lapsed);
                continue;
            }
            if (released < _options.MaxMovesPerRound && !IsMine(p, live))
            {
                released++;
                await ReleaseAsync(p, holding, PartitionChangeReason.Rebalanced, cancellationToken).ConfigureAwait(false);
                continue;
            }
            await RenewAsync(p, holding, cancellationToken).ConfigureAwait(false);
        }

        for (int p = 0; p < _held.Length; p++)
        {
            if (_held[p] is not null) continue;
            await ObserveAndMaybeTakeAsync(p, live, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string[]> HeartbeatAndObserveMembersAsync(CancellationToken cancellationToken)
    {
        int held = 0;
        foreach (var h in _held) if (h is not null) held++;
        await _members.PutAsync(_node, MemberRecord.Encode(_node, _startedAtUnixMs, _time.GetUtcNow().ToUnixTimeMilliseconds(), held), cancellationToken).ConfigureAwait(false);
        var keys = await _members.KeysAsync(cancellationToken).ConfigureAwait(false);
        var live = new List<string> { _node };
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in keys)
        {
            if (string.Equals(member, _node, StringComparison.Ordinal)) continue;
            var entry = await _members.GetAsync(member, cancellationToken).ConfigureAwait(false);
            if (entry is null) continue; // left gracefully since the listing
            present.Add(member);
            long now = _time.GetTimestamp();
            if (!_seenMembers.TryGetValue(member, out var seen) || seen.Revision != entry.Revision)
                _seenMembers[member] = seen = new Observation(entry.Revision, now);
            // live while its heartbeat revision keeps moving; a key first seen counts as live for one lease time
            if (_time.GetElapsedTime(seen.FirstSeenAt, now) < _options.Lease) live.Add(member);
        }
        foreach (var gone in _seenMembers.Keys.Where(k => !present.Contains(k)).ToList()) _seenMembers.Remove(gone);
        live.Sort(StringComparer.Ordinal);
        return [.. live];
    }

    private bool IsMine(int partition, string[] live) =>
        string.Equals(RendezvousAssignment.OwnerOf(partition, live), _node, StringComparison.Ordinal);

    private async Task RenewAsync(int partition, Holding holding, CancellationToken cancellationToken)
    {
        long sentAt = _time.GetTimestamp();
        var value = new LeaseRecord(_node, holding.Epoch, _time.GetUtcNow().ToUnixTimeMilliseconds(), LeaseMs).Encode();
        ulong? revision;
        try
        {
            revision = await _leases.UpdateAsync(_keys[partition], value, holding.Revision, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            // unknown outcome: keep the holding; it lapses by itself if no later renew succeeds (a round
            // out of time stops here instead: the loop reports it once)
            ReportProblem(e);
            return;
        }
        if (revision is not { } renewed)
        {
            Drop(partition, holding, PartitionChangeReason.Superseded);
            return;
        }
        _lastWritten[partition] = renewed;
        if (!IsTrusted(holding))
        {
            // the answer came after the fence had already said no: never revive a lapsed holding; the
            // next take (this revision is this engine's own) gives the partition a new token
            Drop(partition, holding, PartitionChangeReason.Lapsed);
            return;
        }
        Volatile.Write(ref _held[partition], holding with { Revision = renewed, RenewSentAt = sentAt });
    }

    private async Task ReleaseAsync(int partition, Holding holding, PartitionChangeReason reason, CancellationToken cancellationToken)
    {
        // stop acting for the partition first, then tell the others it is free
        Drop(partition, holding, reason);
        var value = new LeaseRecord(null, holding.Epoch, _time.GetUtcNow().ToUnixTimeMilliseconds(), LeaseMs).Encode();
        var revision = await _leases.UpdateAsync(_keys[partition], value, holding.Revision, cancellationToken).ConfigureAwait(false);
        if (revision is { } r) _lastWritten[partition] = r;
    }

    private async Task ObserveAndMaybeTakeAsync(int partition, string[] live, CancellationToken cancellationToken)
    {
        var entry = await _leases.GetAsync(_keys[partition], cancellationToken).ConfigureAwait(false);
        long now = _time.GetTimestamp();
        ulong revision = entry?.Revision ?? 0;
        ref var seen = ref _seenLeases[partition];
        if (seen.FirstSeenAt == 0 || seen.Revision != revision) seen = new Observation(revision, now);
        var unchangedFor = _time.GetElapsedTime(seen.FirstSeenAt, now);

        var record = entry is null ? null : LeaseRecord.Decode(entry.Value);
        bool free = entry is null || record is { IsReleased: true };
        // the revision is the one this engine wrote last (its own lease that lapsed): nobody took it since, so nobody else holds it
        bool ownStale = entry is not null && revision == _lastWritten[partition];
        bool expired = unchangedFor >= _options.Lease;
        if (!free && !ownStale && !expired) return;

        if (!IsMine(partition, live))
        {
            // the desired owner should take it; if none does for another lease time (views that disagree, an
            // owner that is stuck), anyone may, and the rebalance moves it later
            var orphanedAfter = free ? _options.Lease : _options.Lease + _options.Lease;
            if (unchangedFor < orphanedAfter) return;
        }

        long sentAt = _time.GetTimestamp();
        ulong epoch = (record?.Epoch ?? 0) + 1;
        var value = new LeaseRecord(_node, epoch, _time.GetUtcNow().ToUnixTimeMilliseconds(), LeaseMs).Encode();
        ulong? taken = entry is null
            ? await _leases.CreateAsync(_keys[partition], value, cancellationToken).ConfigureAwait(false)
            : await _leases.UpdateAsync(_keys[partition], value, entry.Revision, cancellationToken).ConfigureAwait(false);
        if (taken is not { } token) return; // another engine won the compare-and-set
        _lastWritten[partition] = token;
        Volatile.Write(ref _held[partition], new Holding(token, token, epoch, sentAt));
        Raise(new PartitionChange(partition, PartitionChangeKind.Gained, free ? PartitionChangeReason.TakenFree : PartitionChangeReason.TakenExpired, token));
    }

    private void Drop(int partition, Holding holding, PartitionChangeReason reason)
    {
        Volatile.Write(ref _held[partition], null);
        Raise(new PartitionChange(partition, PartitionChangeKind.Lost, reason, holding.Token));
    }

    private bool IsTrusted(Holding holding) => _time.GetElapsedTime(holding.RenewSentAt) < _options.TrustedFor;

    private long LeaseMs => (long)(_options.LeaseSeconds * 1000);

    private void Raise(PartitionChange change)
    {
        try
        {
            Changed?.Invoke(change);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // a subscriber's bug must not stop the renewals of every other partition
            ReportProblem(e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportProblem(Exception e) => Problem?.Invoke($"cluster round on {_node}: {e.GetType().Name}: {e.Message}");

    /// <summary>
    /// Test hook for a SIGSTOP: no round runs until the returned handle is disposed (the round in flight
    /// finishes). <see cref="IsOwned"/> keeps answering from the clock, as in a stopped process resumed.
    /// </summary>
    internal IDisposable FreezeRounds()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _frozen, gate);
        return new Thaw(this, gate);
    }

    private sealed class Thaw(PartitionLeases owner, TaskCompletionSource gate) : IDisposable
    {
        public void Dispose()
        {
            Interlocked.CompareExchange(ref owner._frozen, null, gate);
            gate.TrySetResult();
        }
    }

    /// <summary>Test hook for a crash (kill -9): the rounds stop, nothing is released or deleted.</summary>
    internal async Task AbandonAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopLoopAsync().ConfigureAwait(false);
        Array.Clear(_held); // a dead process answers nothing
    }

    /// <summary>A graceful leave: stop the rounds, release every held lease (compare-and-set) and delete the member entry.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopLoopAsync().ConfigureAwait(false);
        using var limit = new CancellationTokenSource(_options.TrustedFor);
        try
        {
            for (int p = 0; p < _held.Length; p++)
                if (_held[p] is { } holding) await ReleaseAsync(p, holding, PartitionChangeReason.Released, limit.Token).ConfigureAwait(false);
            await _members.DeleteAsync(_node, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // NATS away at shutdown: the leases expire instead
            ReportProblem(e);
        }
        finally
        {
            Array.Clear(_held);
        }
    }

    private async Task StopLoopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _frozen, null) is { } frozen) frozen.TrySetResult();
        if (_loop is { } loop) await loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotEnabled() => throw new InvalidOperationException("Cluster:Enabled is false: there are no partition leases to hold");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPartitionOutOfRange(int partition, int partitions) =>
        throw new ArgumentOutOfRangeException(nameof(partition), partition, $"partitions are 0..{partitions - 1}");

    /// <summary>A lease held: the token (revision at the take), the revision to renew at, and when the last write was sent (monotonic).</summary>
    private sealed record Holding(ulong Token, ulong Revision, ulong Epoch, long RenewSentAt);

    /// <summary>A revision this engine read, and when it first read that revision (monotonic timestamp; 0 = never looked).</summary>
    private record struct Observation(ulong Revision, long FirstSeenAt);
}
