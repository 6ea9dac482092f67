using System.Collections.Concurrent;
using System.Text;
using Streamer.Rules.Engine;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using JournalExit = Streamer.Stream.Pipeline.PendingExit;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// The exit dispatcher's group commit against a real SQLite journal (its outbox's publisher is not
/// started: these are about what reaches the journal, and in which transactions).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class GroupCommitDispatcherTests
{
    /// <summary>forwards to the real target, logs each call, and can hold the dispatcher inside a call.</summary>
    private sealed class GatedTarget(IExitTarget inner) : IExitTarget
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Gate { get; } = new(initialState: true);

        public ExitSubmitOutcome Submit(JournalExit exit) => throw new InvalidOperationException("the dispatcher submits in batches");

        public IReadOnlyList<ExitSubmitResult> SubmitBatch(IReadOnlyList<JournalExit> exits)
        {
            Calls.Enqueue("exits " + string.Join(",", exits.Select(e => e.Id)));
            Entered.Set();
            Gate.Wait();
            return inner.SubmitBatch(exits);
        }

        public void Record(PositionChange change)
        {
            Calls.Enqueue("change " + change.PositionId);
            inner.Record(change);
        }
    }

    private static readonly string Definition = """{"id":"P","book":"swing","legs":[{"symbol":"SPY","qty":10,"entry_price":500}]}""";

    private static PositionState State(int remaining, int sequenceAfter, long watermark = 0, int tranches = 0) =>
        new(10, remaining, tranches, false, double.NaN, sequenceAfter, 0, watermark);

    private static void Post(ExitDispatcher dispatcher, string position, int seq, PositionState after)
    {
        var payload = Encoding.UTF8.GetBytes($$"""{"id":"{{position}}:{{seq}}","position_id":"{{position}}","underlying":"SPY"}""");
        var buffer = dispatcher.Buffers.Rent(payload.Length);
        payload.CopyTo(buffer, 0);
        Assert.True(dispatcher.PostExit(new ExitMessage
        {
            Buffer = buffer,
            Length = payload.Length,
            PositionId = position,
            Sequence = seq,
            Underlying = "SPY",
            TimeNs = 1_000 + seq,
            Rule = default,
            State = after,
            LatencyNs = 0,
            Shard = 0,
        }));
    }

    private static (JournalDatabase Journal, ExitOutbox Outbox, NatsBus Bus) Open(TempDirectory dir)
    {
        var journal = JournalDatabase.Open(dir.File("j.db"));
        var bus = new NatsBus(new NatsBusOptions { Url = "nats://127.0.0.1:1" }); // the publisher is not started
        return (journal, new ExitOutbox(journal.Exits, new JetStreamClient(bus)), bus);
    }

    [Fact]
    public async Task Exits_queued_behind_a_commit_go_to_the_journal_together_in_one_transaction_in_order()
    {
        using var dir = new TempDirectory();
        var (journal, outbox, bus) = Open(dir);
        using var _ = journal;
        using var __ = bus;
        await using var ___ = outbox;
        var target = new GatedTarget(new OutboxExitTarget(outbox, journal.Positions));
        await using var dispatcher = new ExitDispatcher(64, 8, target, null, _ => { });
        var delivered = new ConcurrentQueue<string>();
        dispatcher.Delivered += (e, outcome) => delivered.Enqueue($"{e.Id} {outcome}");
        dispatcher.Start();

        target.Gate.Reset();
        Post(dispatcher, "A", 1, State(5, 2));
        Assert.True(target.Entered.Wait(TimeSpan.FromSeconds(20)), "the dispatcher takes the lone exit at once");
        long commits = journal.Exits.ExitCommits;
        // while A:1's commit is held, five more queue up (two of one position, interleaved)
        Post(dispatcher, "B", 1, State(5, 2));
        Post(dispatcher, "A", 2, State(0, 3));
        Post(dispatcher, "C", 1, State(5, 2));
        Post(dispatcher, "B", 2, State(4, 3));
        Post(dispatcher, "D", 1, State(5, 2));
        // the exit thread hands each to the journal thread at once: all 5 wait behind the held commit before it is released
        await Waits.UntilAsync(() => dispatcher.JournalQueue == 5, "the exits queued for the journal");
        target.Gate.Set();
        await dispatcher.CompleteAsync();

        Assert.Equal(["exits A:1", "exits B:1,A:2,C:1,B:2,D:1"], target.Calls);
        Assert.Equal(commits + 2, journal.Exits.ExitCommits); // A:1's (held when counted), then ONE for the five
        Assert.Equal(["A:1", "B:1", "A:2", "C:1", "B:2", "D:1"], journal.Exits.ListExits().Select(e => e.Id));
        Assert.Equal(["A:1 Accepted", "B:1 Accepted", "A:2 Accepted", "C:1 Accepted", "B:2 Accepted", "D:1 Accepted"], delivered);
        Assert.Equal(6, dispatcher.ExitsDelivered);
        Assert.Equal(2, dispatcher.ExitBatches);
        Assert.True(journal.Positions.TryLoadPositionState("A", out var a));
        Assert.Equal(0, PositionStateJson.Parse(a, "A").ContractsRemaining); // A:2's state, written after A:1's
    }

    [Fact]
    public async Task A_conflict_inside_a_batch_is_alerted_and_the_other_exits_of_the_batch_are_journaled()
    {
        using var dir = new TempDirectory();
        var (journal, outbox, bus) = Open(dir);
        using var _ = journal;
        using var __ = bus;
        await using var ___ = outbox;
        journal.Exits.RecordExitDecided(new JournalExit("T:1", "T", 1, "streamer.exits.SPY", "{}"u8.ToArray(), 1, TranchesFiredMask: 0b1));
        var target = new GatedTarget(new OutboxExitTarget(outbox, journal.Positions));
        var alerts = new ConcurrentQueue<PipelineAlert>();
        await using var dispatcher = new ExitDispatcher(64, 8, target, null, alerts.Enqueue);
        dispatcher.Start();

        target.Gate.Reset();
        Post(dispatcher, "A", 1, State(5, 2));
        Assert.True(target.Entered.Wait(TimeSpan.FromSeconds(20)));
        Post(dispatcher, "B", 1, State(5, 2));
        Post(dispatcher, "T", 2, State(5, 3, tranches: 0b10)); // says T's tranche 0 never fired: refused by the journal
        Post(dispatcher, "C", 1, State(5, 2));
        // the exit thread hands each to the journal thread at once: all 3 wait behind the held commit before it is released
        await Waits.UntilAsync(() => dispatcher.JournalQueue == 3, "the exits queued for the journal");
        target.Gate.Set();
        await dispatcher.CompleteAsync();

        Assert.Equal(["exits A:1", "exits B:1,T:2,C:1"], target.Calls); // one batch: no fallback needed
        Assert.Equal(["T:1", "A:1", "B:1", "C:1"], journal.Exits.ListExits().Select(e => e.Id));
        var alert = Assert.Single(alerts);
        Assert.Equal("journal_error", alert.Kind);
        Assert.Contains("'T:2'", alert.Message, StringComparison.Ordinal);
        Assert.Equal(3, dispatcher.ExitsDelivered);
        Assert.Equal([0], journal.Positions.TranchesFired("T"));
    }

    [Fact]
    public async Task A_resize_between_exits_is_journaled_between_them()
    {
        using var dir = new TempDirectory();
        var (journal, outbox, bus) = Open(dir);
        using var _ = journal;
        using var __ = bus;
        await using var ___ = outbox;
        journal.Positions.UpsertPosition("P", Definition, 1);
        var target = new GatedTarget(new OutboxExitTarget(outbox, journal.Positions));
        await using var dispatcher = new ExitDispatcher(64, 8, target, null, _ => { });
        var order = new ConcurrentQueue<string>();
        dispatcher.Delivered += (e, _) => order.Enqueue(e.Id);
        dispatcher.ChangeRecorded += c => order.Enqueue("resize " + c.PositionId);
        dispatcher.Start();

        target.Gate.Reset();
        Post(dispatcher, "Q", 1, State(5, 2));
        Assert.True(target.Entered.Wait(TimeSpan.FromSeconds(20)));
        // queued together: P:1 (10 → 5), a fill adds 3 (→ 8, watermark 7), P:2 (8 → 4, carrying the watermark)
        Post(dispatcher, "P", 1, State(5, 2));
        Post(dispatcher, "Q", 2, State(0, 3));
        var change = new PositionChange("P", State(8, 2, watermark: 7), [("SPY", 8, 501.25)], 2_000);
        Assert.True(dispatcher.PostExit(ExitMessage.ForChange(change, "SPY", 0)));
        Post(dispatcher, "P", 2, State(4, 3, watermark: 7));
        // the exit thread hands each to the journal thread at once: all 4 wait behind the held commit before it is released
        await Waits.UntilAsync(() => dispatcher.JournalQueue == 4, "the exits queued for the journal");
        target.Gate.Set();
        await dispatcher.CompleteAsync();

        Assert.Equal(["exits Q:1", "exits P:1,Q:2", "change P", "exits P:2"], target.Calls);
        Assert.Equal(["Q:1", "P:1", "Q:2", "resize P", "P:2"], order);
        Assert.Equal(["Q:1", "P:1", "Q:2", "P:2"], journal.Exits.ListExits().Select(e => e.Id));
        // the last write is P:2's state: had the resize gone after it, the journal would hold 8 contracts
        Assert.True(journal.Positions.TryLoadPositionState("P", out var state));
        var after = PositionStateJson.Parse(state, "P");
        Assert.Equal((4, 7L), (after.ContractsRemaining, after.FillWatermark));
        Assert.Contains("\"qty\":8", Assert.Single(journal.Positions.LoadOpenPositions(), p => p.Id == "P").DefinitionJson, StringComparison.Ordinal);
    }
}
