using System.Globalization;
using Streamer.Stream.Cluster.State;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Tests.Cluster.State;

/// <summary>
/// What every <see cref="IPartitionStateStore"/> must do, whatever keeps the state: each adapter's test
/// class derives from this one and says only how to open a store on its backing (again: a second
/// writer, a reopen), its size limit, and how to scribble on a stored checkpoint.
/// </summary>
public abstract class PartitionStateStoreContract : IAsyncLifetime
{
    protected const int Partitions = 8;

    private readonly List<IPartitionStateStore> _opened = [];

    /// <summary>A new store on the same backing as every other this test opened (its own connection: another engine, or the same one restarted).</summary>
    protected abstract Task<IPartitionStateStore> OpenStoreAsync();

    /// <summary>The most bytes one checkpoint may take in this store; null when it has no limit a test can reach.</summary>
    protected abstract int? ValueLimit(IPartitionStateStore store);

    /// <summary>Replaces the stored checkpoint of <paramref name="partition"/> with something this release cannot read, behind the store's back.</summary>
    protected abstract Task CorruptCheckpointAsync(int partition);

    /// <summary>How a refusal on load names the stored value of <paramref name="partition"/> (its key, its table).</summary>
    protected abstract string KeyOf(int partition);

    protected async Task<IPartitionStateStore> OpenAsync()
    {
        var store = await OpenStoreAsync();
        _opened.Add(store);
        return store;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _opened) await store.DisposeAsync();
    }

    [Fact]
    public async Task A_checkpoint_comes_back_exactly_as_saved_with_the_revision_the_save_returned()
    {
        var store = await OpenAsync();
        Assert.Null(await store.LoadAsync(3));

        var checkpoint = new PartitionCheckpoint(1_767_225_600_123_456_789, ulong.MaxValue - 7, 42, [
            new("SPY-put-1", """{"id":"SPY-put-1","legs":[{"symbol":"SPY260220P00580000","qty":10}],"note":"quotes \" and \\ and ünïcödé ✓ and <tags> & 'apostrophes'\nnew line"}""",
                PartitionPositionStatus.Open, """{"trailing_peak":5.25,"next_sequence":3}""", [0, 2], 3),
            new("closed:1", """{"id":"closed:1"}""", PartitionPositionStatus.Closed, null, [], 1),
            new("  spaced id ", "  {\"id\" : 1 }  ", PartitionPositionStatus.Open, "", [7], long.MaxValue),
        ]);
        var save = await store.SaveAsync(3, checkpoint, expectedRevision: 0);

        Assert.True(save.Saved, save.Refusal);
        Assert.Null(save.Refusal);
        Assert.True(save.Revision > 0);
        var loaded = await store.LoadAsync(3);
        Assert.NotNull(loaded);
        Assert.Equal(save.Revision, loaded.Revision);
        AssertSame(checkpoint, loaded.Checkpoint);

        var empty = new PartitionCheckpoint(-5, 0, 0, []);
        var second = await store.SaveAsync(3, empty, save.Revision);
        Assert.True(second.Saved, second.Refusal);
        Assert.True(second.Revision > save.Revision, $"revision {second.Revision} after {save.Revision}");
        var reloaded = await store.LoadAsync(3);
        Assert.Equal(second.Revision, reloaded!.Revision);
        AssertSame(empty, reloaded.Checkpoint);
    }

    [Fact]
    public async Task A_save_at_a_stale_revision_is_refused_naming_both_revisions_and_writes_nothing()
    {
        var store = await OpenAsync();
        var first = await store.SaveAsync(1, Checkpoint(1, 2), 0);
        var second = await store.SaveAsync(1, Checkpoint(2, 3), first.Revision);
        Assert.True(first.Saved && second.Saved);

        // the owner that lost its lease still holds the first revision
        var stale = await store.SaveAsync(1, Checkpoint(99, 5), first.Revision);
        Assert.False(stale.Saved);
        Assert.Equal(second.Revision, stale.Revision);
        Assert.Contains($"revision {first.Revision} was expected", stale.Refusal, StringComparison.Ordinal);
        Assert.Contains($"holds revision {second.Revision}", stale.Refusal, StringComparison.Ordinal);
        Assert.Contains("nothing was written", stale.Refusal, StringComparison.Ordinal);

        // "none expected" while one exists, and a revision that was never this partition's
        var create = await store.SaveAsync(1, Checkpoint(98, 1), 0);
        Assert.False(create.Saved);
        Assert.Equal(second.Revision, create.Revision);
        Assert.Contains("none was expected", create.Refusal, StringComparison.Ordinal);
        var invented = await store.SaveAsync(1, Checkpoint(97, 1), second.Revision + 1000);
        Assert.False(invented.Saved);

        var loaded = await store.LoadAsync(1);
        Assert.Equal(second.Revision, loaded!.Revision);
        AssertSame(Checkpoint(2, 3), loaded.Checkpoint);

        // and a partition that holds none refuses any revision but 0
        var none = await store.SaveAsync(2, Checkpoint(1, 1), first.Revision);
        Assert.False(none.Saved);
        Assert.Equal(0UL, none.Revision);
        Assert.Contains("holds none", none.Refusal, StringComparison.Ordinal);
        Assert.Null(await store.LoadAsync(2));
    }

    [Fact]
    public async Task Of_two_writers_saving_at_one_revision_at_once_exactly_one_wins_every_round()
    {
        var a = await OpenAsync();
        var b = await OpenAsync();
        ulong revision = 0;
        for (int round = 1; round <= 12; round++)
        {
            var fromA = Checkpoint(1000 + round, 1 + round % 3);
            var fromB = Checkpoint(2000 + round, 2 + round % 3);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ulong at = revision;
            var saveA = Task.Run(async () => { await go.Task; return await a.SaveAsync(5, fromA, at); });
            var saveB = Task.Run(async () => { await go.Task; return await b.SaveAsync(5, fromB, at); });
            go.SetResult();
            var results = await Task.WhenAll(saveA, saveB);

            Assert.True(results[0].Saved ^ results[1].Saved, $"round {round}: A saved {results[0].Saved}, B saved {results[1].Saved}");
            var winner = results[0].Saved ? results[0] : results[1];
            var loser = results[0].Saved ? results[1] : results[0];
            Assert.Equal(winner.Revision, loser.Revision); // the loser is told the winner's revision
            var loaded = await (round % 2 == 0 ? a : b).LoadAsync(5);
            Assert.Equal(winner.Revision, loaded!.Revision);
            AssertSame(results[0].Saved ? fromA : fromB, loaded.Checkpoint);
            revision = winner.Revision;
        }
    }

    [Fact]
    public async Task A_fill_is_kept_once_per_id_in_the_order_appended()
    {
        var store = await OpenAsync();
        var first = new PartitionFill("alpaca:ord-1:1", "SPY-put-1", """{"symbol":"SPY260220P00580000","qty":-5,"price":1.25}""");
        var second = new PartitionFill("fill/2 ü=ok", "SPY-put-1", """{"qty":-5}""");
        var third = new PartitionFill("3", "QQQ-call", """{"qty":2}""");

        Assert.Equal(FillAppend.Appended, await store.AppendFillAsync(4, first));
        Assert.Equal(FillAppend.Appended, await store.AppendFillAsync(4, second));
        // a redelivery of the first, even one that says something else: reported, the stored one kept
        Assert.Equal(FillAppend.Duplicate, await store.AppendFillAsync(4, first with { FillJson = """{"qty":-500}""" }));
        Assert.Equal(FillAppend.Appended, await store.AppendFillAsync(4, third));
        Assert.Equal(FillAppend.Duplicate, await store.AppendFillAsync(4, second));

        Assert.Equal([first, second, third], await store.FillsAsync(4));
        Assert.Empty(await store.FillsAsync(0));
    }

    [Fact]
    public async Task Partitions_are_independent_of_each_other()
    {
        var store = await OpenAsync();
        var one = await store.SaveAsync(1, Checkpoint(10, 2), 0);
        var two = await store.SaveAsync(2, Checkpoint(20, 3), 0);
        Assert.True(one.Saved && two.Saved);
        Assert.NotEqual(one.Revision, two.Revision);
        // partition 2's revision means nothing for partition 1
        Assert.False((await store.SaveAsync(1, Checkpoint(11, 1), two.Revision)).Saved);

        var fill = new PartitionFill("same-id", "P", "{}");
        Assert.Equal(FillAppend.Appended, await store.AppendFillAsync(1, fill));
        Assert.Equal(FillAppend.Appended, await store.AppendFillAsync(2, fill with { PositionId = "Q" }));

        await store.DeleteAsync(1);
        Assert.Null(await store.LoadAsync(1));
        Assert.Empty(await store.FillsAsync(1));
        var kept = await store.LoadAsync(2);
        Assert.Equal(two.Revision, kept!.Revision);
        AssertSame(Checkpoint(20, 3), kept.Checkpoint);
        Assert.Equal([fill with { PositionId = "Q" }], await store.FillsAsync(2));
        for (int p = 3; p < Partitions; p++) Assert.Null(await store.LoadAsync(p));
    }

    [Fact]
    public async Task A_delete_removes_the_checkpoint_and_the_fills_and_no_revision_from_before_it_is_valid_after()
    {
        var store = await OpenAsync();
        var saved = await store.SaveAsync(6, Checkpoint(1, 4), 0);
        await store.AppendFillAsync(6, new PartitionFill("f1", "P", "{}"));
        await store.AppendFillAsync(6, new PartitionFill("f2", "P", "{}"));

        await store.DeleteAsync(6);
        Assert.Null(await store.LoadAsync(6));
        Assert.Empty(await store.FillsAsync(6));
        await store.DeleteAsync(6); // deleting nothing is harmless

        var stale = await store.SaveAsync(6, Checkpoint(2, 1), saved.Revision);
        Assert.False(stale.Saved);
        Assert.Null(await store.LoadAsync(6));
        var again = await store.SaveAsync(6, Checkpoint(3, 1), 0);
        Assert.True(again.Saved, again.Refusal);
        Assert.True(again.Revision > saved.Revision, $"revision {again.Revision} after a delete of {saved.Revision}");
        Assert.Equal(FillAppend.Appended, await store.AppendFillAsync(6, new PartitionFill("f1", "P", """{"again":true}""")));
        Assert.Equal([new PartitionFill("f1", "P", """{"again":true}""")], await store.FillsAsync(6));
    }

    [Fact]
    public async Task A_store_opened_again_loads_what_the_first_saved_and_goes_on_from_its_revision()
    {
        var first = await OpenAsync();
        var checkpoint = Checkpoint(7, 5);
        var saved = await first.SaveAsync(7, checkpoint, 0);
        var fill = new PartitionFill("alpaca:x:1", "P0", """{"qty":1}""");
        await first.AppendFillAsync(7, fill);
        await first.DisposeAsync();

        var reopened = await OpenAsync();
        var loaded = await reopened.LoadAsync(7);
        Assert.Equal(saved.Revision, loaded!.Revision);
        AssertSame(checkpoint, loaded.Checkpoint);
        Assert.Equal([fill], await reopened.FillsAsync(7));
        Assert.Equal(FillAppend.Duplicate, await reopened.AppendFillAsync(7, fill));
        var next = await reopened.SaveAsync(7, Checkpoint(8, 1), loaded.Revision);
        Assert.True(next.Saved, next.Refusal);
    }

    [Fact]
    public async Task A_checkpoint_of_many_positions_is_either_kept_whole_or_refused_naming_its_size_and_the_limit_with_nothing_written()
    {
        var store = await OpenAsync();
        var small = await store.SaveAsync(0, Checkpoint(1, 2), 0);
        // 800 positions of about 1.6 kB each: 1.29 MB, over NATS's default max_payload of 1 MB
        var positions = Enumerable.Range(0, 800).Select(i => new PartitionPosition(
            $"pos-{i:D4}", $$"""{"id":"pos-{{i:D4}}","legs":[{"symbol":"SPY260220P{{i:D8}}","qty":10}],"pad":"{{new string('d', 1200)}}"}""",
            PartitionPositionStatus.Open, $$"""{"peak":{{i}}.5,"pad":"{{new string('s', 200)}}"}""", [0, 1], 2)).ToList();
        var large = new PartitionCheckpoint(5, 6, 7, positions);

        if (ValueLimit(store) is not { } limit)
        {
            var saved = await store.SaveAsync(0, large, small.Revision);
            Assert.True(saved.Saved, saved.Refusal);
            AssertSame(large, (await store.LoadAsync(0))!.Checkpoint);
            return;
        }

        var refused = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await store.SaveAsync(0, large, small.Revision));
        Assert.Contains("partition 0 checkpoint (800 positions)", refused.Message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"over the {limit} bytes"), refused.Message, StringComparison.Ordinal);
        var size = System.Text.RegularExpressions.Regex.Match(refused.Message, @": (\d+) bytes encoded").Groups[1].Value;
        Assert.True(long.Parse(size, CultureInfo.InvariantCulture) > limit, refused.Message);
        Assert.Contains("nothing was written", refused.Message, StringComparison.Ordinal);
        var kept = await store.LoadAsync(0);
        Assert.Equal(small.Revision, kept!.Revision);
        AssertSame(Checkpoint(1, 2), kept.Checkpoint);
        // the store is still usable (a value over the limit sent would have cost the connection)
        Assert.True((await store.SaveAsync(0, Checkpoint(2, 2), small.Revision)).Saved);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_what_is_wrong_and_nothing_is_written()
    {
        var store = await OpenAsync();
        var ok = Checkpoint(1, 1);

        var low = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.LoadAsync(-1));
        Assert.Contains("partition -1 is outside 0..7", low.Message, StringComparison.Ordinal);
        var high = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.SaveAsync(Partitions, ok, 0));
        Assert.Contains("partition 8 is outside 0..7", high.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.AppendFillAsync(Partitions, new PartitionFill("f", "p", "{}")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.FillsAsync(-3));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.DeleteAsync(Partitions));

        async Task Refused(PartitionCheckpoint? checkpoint, string expected)
        {
            var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SaveAsync(2, checkpoint!, 0));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }

        var p = ok.Positions[0];
        await Refused(null, "partition 2: the checkpoint is null");
        await Refused(ok with { Positions = null! }, "partition 2 checkpoint: Positions is null");
        await Refused(ok with { Positions = [p, p with { Id = " " }] }, "partition 2 checkpoint: position #1 has an empty id");
        await Refused(ok with { Positions = [p, p] }, $"partition 2 checkpoint: position #1: id '{p.Id}' appears twice");
        await Refused(ok with { Positions = [p with { DefinitionJson = "" }] }, $"position #0 ('{p.Id}') has an empty definition");
        await Refused(ok with { Positions = [p with { TranchesFired = [1, -2] }] }, "tranche index -2 is negative");
        await Refused(ok with { Positions = [p with { NextExitSequence = 0 }] }, "next exit sequence 0 is below 1");
        await Refused(ok with { Positions = [p with { Status = (PartitionPositionStatus)9 }] }, "has status 9");
        Assert.Null(await store.LoadAsync(2));

        async Task FillRefused(PartitionFill fill, string expected)
        {
            var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendFillAsync(2, fill));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }

        await FillRefused(new PartitionFill("", "P", "{}"), "partition 2 fill: the fill id is empty");
        await FillRefused(new PartitionFill(new string('x', 257), "P", "{}"), "the fill id is 257 characters, over 256");
        await FillRefused(new PartitionFill("f", " ", "{}"), "partition 2 fill 'f': the position id is empty");
        await FillRefused(new PartitionFill("f", "P", ""), "partition 2 fill 'f': the fill JSON is empty");
        Assert.Empty(await store.FillsAsync(2));
    }

    [Fact]
    public async Task A_stored_checkpoint_this_release_cannot_read_is_refused_on_load_naming_where_it_is()
    {
        var store = await OpenAsync();
        await store.SaveAsync(3, Checkpoint(1, 2), 0);
        await store.SaveAsync(4, Checkpoint(2, 2), 0);
        await CorruptCheckpointAsync(3);

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await store.LoadAsync(3));
        Assert.Contains(KeyOf(3), e.Message, StringComparison.Ordinal);
        // never taken for "no state": the next owner would start the partition empty
        AssertSame(Checkpoint(2, 2), (await store.LoadAsync(4))!.Checkpoint);
    }

    /// <summary>A checkpoint whose every field follows from <paramref name="seed"/>.</summary>
    protected static PartitionCheckpoint Checkpoint(int seed, int positions) => new(
        1_767_225_600_000_000_000 + seed, (ulong)seed * 100, (ulong)seed * 10,
        [.. Enumerable.Range(0, positions).Select(i => new PartitionPosition(
            $"P{i}", $$"""{"id":"P{{i}}","seed":{{seed}}}""", i % 2 == 0 ? PartitionPositionStatus.Open : PartitionPositionStatus.Closed,
            i % 3 == 0 ? null : $$"""{"peak":{{seed}}.{{i}}}""", [.. Enumerable.Range(0, i % 3)], 1 + i))]);

    protected static void AssertSame(PartitionCheckpoint expected, PartitionCheckpoint actual)
    {
        Assert.Equal(expected.ClockNs, actual.ClockNs);
        Assert.Equal(expected.TickSequence, actual.TickSequence);
        Assert.Equal(expected.ExitSequence, actual.ExitSequence);
        Assert.Equal(expected.Positions.Count, actual.Positions.Count);
        for (int i = 0; i < expected.Positions.Count; i++)
        {
            var e = expected.Positions[i];
            var a = actual.Positions[i];
            Assert.Equal(e.Id, a.Id);
            Assert.Equal(e.DefinitionJson, a.DefinitionJson);
            Assert.Equal(e.Status, a.Status);
            Assert.Equal(e.StateJson, a.StateJson);
            Assert.Equal(e.TranchesFired, a.TranchesFired);
            Assert.Equal(e.NextExitSequence, a.NextExitSequence);
        }
    }
}
