using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Streamer.Stream.Cluster;
using Streamer.Stream.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Streamer.Stream.Tests.Cluster;

/// <summary>
/// One engine of the cluster as a real child process (tests/Stream.ClusterNode), next to two in the
/// test process: kill -9 and SIGSTOP/SIGCONT of a real process, its fence's answers read from its
/// stdout with CLOCK_MONOTONIC timestamps (one clock for every process of the host).
/// </summary>
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_killed_engine_process_loses_its_partitions_to_the_others_within_the_lease_time()
    {
        await using var cluster = new ClusterHarness();
        await cluster.StartNodeAsync("engine-a");
        await cluster.StartNodeAsync("engine-b");
        using var child = ChildNode.Start(cluster, "engine-c");
        await UntilSettledWithAsync(cluster, child);
        var orphaned = child.Owned.Keys.ToList();
        Assert.NotEmpty(orphaned);

        var clock = Stopwatch.StartNew();
        child.Signal("KILL");
        await Waits.UntilAsync(() => orphaned.All(p => cluster.Owners()[p] is not null), "the killed engine's partitions owned by the others", TimeSpan.FromSeconds(60));
        var takeover = clock.Elapsed;
        output.WriteLine($"kill -9 of an engine process: its {orphaned.Count} partitions owned by the others after {takeover.TotalSeconds:F2} s (lease {cluster.Options.LeaseSeconds} s + renew {cluster.Options.RenewSeconds} s)");
        Assert.True(takeover < 2 * (cluster.Options.Lease + cluster.Options.Renew), $"takeover took {takeover.TotalSeconds:F2} s");
        await cluster.UntilSettledAsync();
        Assert.Empty(cluster.DoubleOwners);
    }

    [Fact]
    public async Task An_engine_process_sigstopped_past_its_lease_answers_no_old_token_after_sigcont()
    {
        await using var cluster = new ClusterHarness();
        await cluster.StartNodeAsync("engine-a");
        await cluster.StartNodeAsync("engine-b");
        using var child = ChildNode.Start(cluster, "engine-c");
        await UntilSettledWithAsync(cluster, child);
        var oldTokens = new Dictionary<int, ulong>(child.Owned);
        Assert.NotEmpty(oldTokens);

        long stoppedAt = Stopwatch.GetTimestamp();
        child.Signal("STOP");
        long continuedAt;
        try
        {
            await Waits.UntilAsync(() => oldTokens.Keys.All(p => cluster.Owners()[p] is not null), "the stopped engine's partitions owned by the others", TimeSpan.FromSeconds(60));
            output.WriteLine($"SIGSTOPped engine: its {oldTokens.Count} partitions taken by the others after {Stopwatch.GetElapsedTime(stoppedAt).TotalSeconds:F2} s");
        }
        finally
        {
            continuedAt = Stopwatch.GetTimestamp();
            child.Signal("CONT");
        }

        // resumed, it rejoins and rendezvous hashing gives its partitions back: with new tokens only
        await UntilSettledWithAsync(cluster, child);
        var afterResume = child.Lines.Where(l => l.Timestamp > continuedAt).ToList();
        Assert.NotEmpty(afterResume);
        var stale = afterResume.SelectMany(l => l.Owned.Where(o => oldTokens.TryGetValue(o.Key, out ulong old) && old == o.Value).Select(o => $"{o.Key}:{o.Value}")).ToList();
        Assert.Empty(stale);
        // its first answer after SIGCONT (before any of its rounds could renew) already owns nothing it held
        Assert.Empty(afterResume[0].Owned.Keys.Intersect(oldTokens.Keys));
        Assert.All(oldTokens, o => Assert.True(child.Owned.TryGetValue(o.Key, out ulong now) && now > o.Value, $"partition {o.Key} back with a larger token"));
        Assert.Empty(cluster.DoubleOwners);
    }

    /// <summary>Until the in-process engines and the child together own every partition as rendezvous hashing over all three says.</summary>
    private static async Task UntilSettledWithAsync(ClusterHarness cluster, ChildNode child)
    {
        string[] ids = [.. cluster.Nodes.Select(n => n.NodeId).Append(child.NodeId).Order(StringComparer.Ordinal)];
        var expected = cluster.Expected(ids);
        try
        {
            await Waits.UntilAsync(() =>
            {
                var owners = cluster.Owners();
                var mine = child.Owned;
                for (int p = 0; p < owners.Length; p++)
                {
                    bool childOwns = mine.ContainsKey(p);
                    if (childOwns && owners[p] is not null) return false;
                    if ((childOwns ? child.NodeId : owners[p]) != expected[p]) return false;
                }
                return true;
            }, $"every partition owned as rendezvous hashing over {string.Join(",", ids)} says", TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the child {child.NodeId} printed last:\n{child.Tail(8)}", e);
        }
    }

    private sealed record OwnedLine(long Timestamp, IReadOnlyDictionary<int, ulong> Owned);

    private sealed class ChildNode : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<OwnedLine> _lines = new();
        private readonly ConcurrentQueue<string> _log = new();
        private volatile OwnedLine _last = new(0, new Dictionary<int, ulong>());

        private ChildNode(Process process, string nodeId)
        {
            _process = process;
            NodeId = nodeId;
        }

        public string NodeId { get; }

        /// <summary>what the child's fence answered last (partition → token).</summary>
        public IReadOnlyDictionary<int, ulong> Owned => _last.Owned;

        public IReadOnlyList<OwnedLine> Lines => [.. _lines];

        public string Tail(int lines) => string.Join("\n", _log.TakeLast(lines));

        public static ChildNode Start(ClusterHarness cluster, string nodeId)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Streamer.Stream.ClusterNode.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"the cluster node child not found next to the tests ({dll})");
            var o = cluster.Options;
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in new[] { dll, cluster.Server.Url, nodeId, Str(o.Partitions), Str(o.LeaseSeconds), Str(o.RenewSeconds), Str(o.FenceMarginSeconds) })
                psi.ArgumentList.Add(a);
            var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
            var node = new ChildNode(process, nodeId);
            process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) node._log.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return node;
        }

        private static string Str(double value) => value.ToString(CultureInfo.InvariantCulture);

        private void OnLine(string? line)
        {
            if (line is null) return;
            _log.Enqueue(line);
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[1] != "owned") return;
            var owned = new Dictionary<int, ulong>();
            foreach (var pair in parts.Skip(2))
            {
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                owned[int.Parse(pair[..colon], CultureInfo.InvariantCulture)] = ulong.Parse(pair[(colon + 1)..], CultureInfo.InvariantCulture);
            }
            var parsed = new OwnedLine(long.Parse(parts[0], CultureInfo.InvariantCulture), owned);
            _lines.Enqueue(parsed);
            _last = parsed;
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            if (signal == "KILL") _process.WaitForExit(10_000);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    Signal("CONT");
                    _process.StandardInput.Close(); // a graceful leave
                    if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // gone already
            }
            catch (IOException)
            {
                // its stdin is gone with it
            }
            _process.Dispose();
        }
    }
}
