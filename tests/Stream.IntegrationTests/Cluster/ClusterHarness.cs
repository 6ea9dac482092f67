using System.Collections.Concurrent;
using System.Diagnostics;
using Streamer.Stream.Cluster;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Cluster;

/// <summary>
/// Engines of one cluster on one real nats-server, each with its own connection (as separate
/// processes would have), and a sampler that reads every engine's fence for every partition every few
/// milliseconds and records each instant at which two engines both answered IsOwned for one partition.
/// </summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public static readonly ClusterOptions Fast = new()
    {
        Enabled = true,
        Partitions = 64,
        LeaseSeconds = 2,
        RenewSeconds = 0.5,
        FenceMarginSeconds = 0.4,
        MaxMovesPerRound = 4,
    };

    private readonly List<(PartitionLeases Node, NatsBus Bus)> _nodes = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly Task _sampler;
    private long _samples;

    public ClusterHarness(ClusterOptions? options = null)
    {
        Options = options ?? Fast;
        Server = new NatsServerFixture();
        _sampler = Task.Run(SampleAsync);
    }

    public NatsServerFixture Server { get; }

    public ClusterOptions Options { get; }

    /// <summary>every (partition, owners) seen with more than one owner at one instant: must stay empty.</summary>
    public ConcurrentQueue<string> DoubleOwners { get; } = new();

    /// <summary>every change every engine raised, in order per engine.</summary>
    public ConcurrentQueue<(string Node, PartitionChange Change)> Changes { get; } = new();

    /// <summary>extra checks run on every sample (a node's token must not come back, ...).</summary>
    public Action<PartitionLeases, int, ulong>? OnOwnedSample { get; set; }

    public long Samples => Interlocked.Read(ref _samples);

    public IReadOnlyList<PartitionLeases> Nodes
    {
        get { lock (_gate) return [.. _nodes.Select(n => n.Node)]; }
    }

    public async Task<PartitionLeases> StartNodeAsync(string nodeId)
    {
        var bus = await TestBus.ConnectedAsync(Server.Url);
        var node = await PartitionLeases.StartAsync(Options with { NodeId = nodeId }, new JetStreamClient(bus));
        node.Changed += c => Changes.Enqueue((nodeId, c));
        lock (_gate) _nodes.Add((node, bus));
        return node;
    }

    /// <summary>kill -9: the node stops without releasing anything; its fence answers false (a dead process acts for nothing).</summary>
    public async Task CrashAsync(PartitionLeases node)
    {
        await node.AbandonAsync();
        Remove(node)?.Dispose();
    }

    public async Task LeaveAsync(PartitionLeases node)
    {
        await node.DisposeAsync();
        Remove(node)?.Dispose();
    }

    private NatsBus? Remove(PartitionLeases node)
    {
        lock (_gate)
        {
            int i = _nodes.FindIndex(n => ReferenceEquals(n.Node, node));
            if (i < 0) return null;
            var bus = _nodes[i].Bus;
            _nodes.RemoveAt(i);
            return bus;
        }
    }

    /// <summary>partition → owner per the fences now (null: nobody); throws if two answer true.</summary>
    public string?[] Owners()
    {
        var owners = new string?[Options.Partitions];
        foreach (var node in Nodes)
            foreach (int p in node.OwnedPartitions())
            {
                if (owners[p] is not null) throw new InvalidOperationException($"partition {p} owned by {owners[p]} and {node.NodeId}");
                owners[p] = node.NodeId;
            }
        return owners;
    }

    /// <summary>Until every partition has exactly the owner rendezvous hashing gives it over the nodes running now.</summary>
    public async Task UntilSettledAsync(TimeSpan? timeout = null)
    {
        var ids = Nodes.Select(n => n.NodeId).Order(StringComparer.Ordinal).ToArray();
        var expected = Expected(ids);
        string?[] last = [];
        try
        {
            await Waits.UntilAsync(() => (last = Owners()).SequenceEqual(expected), $"every partition owned as rendezvous hashing over {string.Join(",", ids)} says", timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            int wrong = last.Zip(expected).Count(x => x.First != x.Second);
            throw new TimeoutException($"{e.Message}: {wrong} partitions differ; owners now {string.Join(",", last.Select(o => o ?? "-"))}", e);
        }
    }

    public string[] Expected(IReadOnlyList<string> ids) =>
        RendezvousAssignment.Assign(Options.Partitions, [.. ids.Order(StringComparer.Ordinal)]);

    private async Task SampleAsync()
    {
        var owners = new string?[Options.Partitions];
        while (!_stopSampling.IsCancellationRequested)
        {
            var nodes = Nodes;
            Array.Clear(owners);
            long started = Stopwatch.GetTimestamp();
            var found = new List<string>();
            foreach (var node in nodes)
                for (int p = 0; p < owners.Length; p++)
                {
                    if (!node.IsOwned(p, out ulong token)) continue;
                    OnOwnedSample?.Invoke(node, p, token);
                    if (owners[p] is { } other) found.Add($"partition {p}: {other} and {node.NodeId}");
                    owners[p] = node.NodeId;
                }
            // a sample is one instant only if the sampler was not descheduled in the middle of it; the
            // protocol keeps a gap of FenceMarginSeconds between one owner's end and the next one's start
            if (found.Count > 0 && Stopwatch.GetElapsedTime(started) < Options.FenceMargin / 4)
                foreach (var f in found) DoubleOwners.Enqueue(f);
            Interlocked.Increment(ref _samples);
            try
            {
                await Task.Delay(2, _stopSampling.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopSampling.CancelAsync();
        await _sampler;
        foreach (var node in Nodes) await LeaveAsync(node);
        Server.Dispose();
        _stopSampling.Dispose();
    }
}
