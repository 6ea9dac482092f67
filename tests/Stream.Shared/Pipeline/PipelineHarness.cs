using System.Collections.Concurrent;
using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Service;
using Streamer.Stream.Replay;
using JournalExit = Streamer.Stream.Pipeline.PendingExit;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>Collects what the dispatcher hands to the journal (in hand-over order).</summary>
internal sealed class CollectingExitTarget : IExitTarget
{
    private readonly ConcurrentQueue<JournalExit> _exits = new();

    public Func<JournalExit, ExitSubmitOutcome>? Outcome { get; set; }

    public IReadOnlyList<JournalExit> Exits => [.. _exits];

    public ExitSubmitOutcome Submit(JournalExit exit)
    {
        var outcome = Outcome?.Invoke(exit) ?? ExitSubmitOutcome.Accepted;
        if (outcome != ExitSubmitOutcome.Full) _exits.Enqueue(exit);
        return outcome;
    }

    private readonly ConcurrentQueue<Streamer.Stream.Pipeline.PositionChange> _changes = new();

    public IReadOnlyList<Streamer.Stream.Pipeline.PositionChange> Changes => [.. _changes];

    public void Record(Streamer.Stream.Pipeline.PositionChange change) => _changes.Enqueue(change);
}

internal sealed class CollectingSnapshotTarget : ISnapshotTarget
{
    private readonly ConcurrentQueue<(string Subject, byte[] Payload)> _messages = new();

    public IReadOnlyList<(string Subject, byte[] Payload)> Messages => [.. _messages];

    public void Publish(string subject, ReadOnlyMemory<byte> payload) => _messages.Enqueue((subject, payload.ToArray()));
}

internal static class PipelineWait
{
    /// <summary>
    /// Every shard has processed what was posted before (<see cref="TickPipeline.FlushAsync"/>), and every
    /// exit decided has reached the target: the dispatcher hands exits over on its own thread, after the flush.
    /// </summary>
    public static async Task DeliveredAsync(this TickPipeline pipeline, TimeSpan patience)
    {
        await pipeline.FlushAsync().WaitAsync(patience);
        var until = DateTime.UtcNow + patience;
        while (pipeline.Status() is var s && s.ExitsDelivered < s.ExitsDecided && DateTime.UtcNow < until) await Task.Delay(5);
    }
}

internal static class Demo
{
    public static string File(string name) =>
        Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Stream", "samples", "demo", name);

    public static IReadOnlyList<PositionSpec> Positions() => PositionsFile.Parse(System.IO.File.ReadAllText(File("positions.json")), "positions.json");

    /// <summary>The replay's exits on the demo tape: the reference the pipeline must match.</summary>
    public static IReadOnlyList<ExitRecord> ReplayExits()
    {
        var symbols = new SymbolTable();
        var session = new ReplaySession(Positions(), BookSet.BuiltIn, symbols);
        using var tape = TapeReader.Open(File("ticks.csv"), symbols);
        return session.Run(tape).Exits;
    }

    /// <summary>The demo tape through a pipeline with a virtual clock (Feed:Speed=0) and <paramref name="shards"/> shards.</summary>
    public static async Task<(IReadOnlyList<JournalExit> Exits, PipelineStatus Status)> RunPipelineAsync(int shards, int capacity = 8192, ISnapshotTarget? snapshots = null, TimeSpan? snapshotInterval = null)
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        var options = new PipelineOptions
        {
            Shards = shards,
            ShardCapacity = capacity,
            Clock = ClockMode.Virtual,
            LatencyInPayload = false,
            SnapshotInterval = snapshotInterval ?? TimeSpan.Zero,
        };
        await using var pipeline = new TickPipeline(options, symbols, BookSet.BuiltIn, target, snapshots);
        pipeline.Start();
        foreach (var p in Positions()) _ = pipeline.AddPositionAsync(p);
        await pipeline.RunSourceAsync(new TapeTickSource(File("ticks.csv"), symbols));
        await pipeline.StopAsync();
        return (target.Exits, pipeline.Status());
    }

    public static string Text(byte[] payload) => Encoding.UTF8.GetString(payload);
}
