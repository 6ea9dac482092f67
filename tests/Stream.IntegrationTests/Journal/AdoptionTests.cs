using System.Text;
using Streamer.Rules.Engine;
using Streamer.Stream.Journal;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Journal;

/// <summary>
/// The restart's second record: exits on the stream that the journal lacks (a publish-first run killed
/// between publish and commit) are adopted with the state they carried; nothing else is.
/// </summary>
public sealed class AdoptionTests
{
    private static readonly TimeSpan Ack = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_stream_only_scale_out_is_adopted_with_its_tranche_and_state_and_other_engines_exits_are_left_alone()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);
        IConnectionBoundRequests pinned = bus;
        await Waits.UntilAsync(() => pinned.CurrentConnection > 0, "a pinned connection opens");

        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Positions.UpsertPosition("S", """{"id":"S"}""", 1);
        journal.Positions.UpsertPosition("DONE", """{"id":"DONE"}""", 1);
        journal.Positions.SetPositionStatus("DONE", PositionStatus.Closed, 2);
        journal.Exits.RecordExitDecided(new PendingExit("S:1", "S", 1, "streamer.exits.SPY", Exit("S:1", "S"), 10, 0b1, PositionStateJson.Write(State(remaining: 8, tranches: 0b1, next: 2))));
        journal.Exits.MarkPublished("S:1", 11, (await Publish(js, pinned, "S:1", "S", null)).Sequence);
        journal.Exits.MayHaveStreamOnlyExits = true; // what a killed publish-first run leaves

        // on the stream after what the journal knows: S:2 (tranche 1 fired, 6 left), another engine's position, a closed one's, a repeat of S:2
        var s2 = State(remaining: 6, tranches: 0b11, next: 3);
        await Publish(js, pinned, "S:2", "S", s2);
        await Publish(js, pinned, "ELSEWHERE:1", "ELSEWHERE", State(remaining: 0, tranches: 0, next: 2));
        await Publish(js, pinned, "DONE:1", "DONE", State(remaining: 0, tranches: 0, next: 2));

        await using var outbox = new ExitOutbox(journal.Exits, js);
        Assert.True(outbox.MayHaveUnjournaledExits);
        var adopted = await outbox.AdoptFromStreamAsync(id => journal.Positions.StatusOf(id) == PositionStatus.Open);

        Assert.Equal(["S:2"], adopted.Select(e => e.Id));
        Assert.False(outbox.MayHaveUnjournaledExits);
        var s2Row = journal.Exits.FindExit("S:2")!;
        Assert.Equal(2UL, s2Row.StreamSequence);                 // journaled as published, where the stream has it
        Assert.Equal([0, 1], journal.Positions.TranchesFired("S")); // the scale-out tranche it fired
        Assert.True(journal.Positions.TryLoadPositionState("S", out var state));
        Assert.Equal(s2, PositionStateJson.Parse(state, "S"));     // the engine resumes from the state after it
        Assert.Equal(3, journal.Exits.NextExitSequence("S"));      // its id is never reused
        Assert.Equal(PositionStatus.Open, journal.Positions.StatusOf("S"));
        Assert.Null(journal.Exits.FindExit("ELSEWHERE:1"));
        Assert.Null(journal.Exits.FindExit("DONE:1"));
        Assert.Equal(0, journal.Exits.CountUnpublished());

        // the same exit decided again (a tape read again) is never sent first: the journal answers for it
        Assert.False(outbox.TryPublishFirst(new PendingExit("S:2", "S", 2, "streamer.exits.SPY", Exit("S:2", "S"), 20)));
        // and adopting again finds nothing new
        Assert.Empty(await outbox.AdoptFromStreamAsync(id => journal.Positions.StatusOf(id) == PositionStatus.Open));
    }

    private static PositionState State(int remaining, int tranches, int next) => new(10, remaining, tranches, false, double.NaN, next, 0, 0);

    private static byte[] Exit(string id, string position) =>
        Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","position_id":"{{position}}","underlying":"SPY","time":"2026-02-02T15:00:00Z"}""");

    private static Task<PubAck> Publish(JetStreamClient js, IConnectionBoundRequests pinned, string id, string position, PositionState? state) =>
        js.PublishOnAsync(pinned.CurrentConnection, "streamer.exits.SPY", Exit(id, position), Ack, id, default, state is { } s ? PositionStateJson.Write(s) : null);
}
