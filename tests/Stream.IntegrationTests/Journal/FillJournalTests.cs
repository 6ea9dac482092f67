using System.Text.Json;
using Microsoft.Data.Sqlite;
using Streamer.Rules.Engine;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Journal;

public sealed class FillJournalTests
{
    private const string Definition = """{"id":"P","book":"so","legs":[{"symbol":"SPY260220P00580000","qty":-4,"entry_price":2.1},{"symbol":"SPY260220P00575000","qty":4,"entry_price":0.9}],"overrides":{"x":1}}""";

    private static FillRecord Fill(string id, double qty, string? exitId = null) => new(id, "P", "SPY260220P00575000", qty, 1.0, 1, null, exitId);

    [Fact]
    public void Fills_get_arrival_ordinals_and_a_duplicate_reports_the_first_ones()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.Equal(FillRecordOutcome.Recorded, journal.Fills.RecordFill(Fill("a", 1), 1, out long a));
        Assert.Equal(FillRecordOutcome.Recorded, journal.Fills.RecordFill(Fill("b", 1) with { PositionId = "Q" }, 1, out long b));
        Assert.Equal(FillRecordOutcome.Duplicate, journal.Fills.RecordFill(Fill("a", 5), 2, out long again));
        Assert.Equal((1L, 2L, 1L), (a, b, again));
        Assert.Equal([1L], journal.Fills.Fills("P").Select(f => f.Ordinal));
    }

    [Fact]
    public void What_a_restart_feeds_again_is_after_the_watermark_and_neither_an_exit_confirmation_nor_disposed_of()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Fills.RecordFill(Fill("opened", 4), 1);
        journal.Fills.RecordFill(Fill("applied", 1), 1);
        journal.Fills.RecordFill(Fill("exit", -1, exitId: "P:1"), 1);
        journal.Fills.RecordFill(Fill("rejected", 1), 1);
        journal.Fills.RecordFill(Fill("pending-1", 2), 1);
        journal.Fills.RecordFill(Fill("pending-2", -2), 1);
        Assert.True(journal.Fills.SetFillDisposition("opened", "opened the position"));
        Assert.True(journal.Fills.SetFillDisposition("rejected", "rejected: not a leg"));
        Assert.False(journal.Fills.SetFillDisposition("never", "x"));

        Assert.Equal(["pending-1", "pending-2"], journal.Fills.FillsToApply("P", watermark: 2).Select(f => f.Id));
        Assert.Equal(["applied", "pending-1", "pending-2"], journal.Fills.FillsToApply("P", watermark: 0).Select(f => f.Id));
        Assert.Equal("P:1", journal.Fills.Fills("P").Single(f => f.Id == "exit").ExitId);
        Assert.Equal("rejected: not a leg", journal.Fills.FillDisposition("rejected"));
    }

    [Fact]
    public void A_resize_rewrites_the_legs_of_the_definition_and_the_state_together_and_keeps_everything_else()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Positions.UpsertPosition("P", Definition, 1);
        var state = new PositionState(10, 10, 0, false, double.NaN, 1, 0, FillWatermark: 7);
        journal.Positions.RecordPositionChange(new PositionChange("P", state,
            [("SPY260220P00580000", -10, 2.22), ("SPY260220P00575000", 10, 0.96)], 5));

        var open = Assert.Single(journal.Positions.LoadOpenPositions());
        using var def = JsonDocument.Parse(open.DefinitionJson);
        var legs = def.RootElement.GetProperty("legs");
        Assert.Equal(-10, legs[0].GetProperty("qty").GetInt64());
        Assert.Equal(2.22, legs[0].GetProperty("entry_price").GetDouble());
        Assert.Equal(10, legs[1].GetProperty("qty").GetInt64());
        Assert.Equal(0.96, legs[1].GetProperty("entry_price").GetDouble());
        Assert.Equal("so", def.RootElement.GetProperty("book").GetString());
        Assert.Equal(1, def.RootElement.GetProperty("overrides").GetProperty("x").GetInt32());
        Assert.Equal(state, PositionStateJson.Parse(open.StateJson!, "P"));

        // closing to nothing closes the position
        journal.Positions.RecordPositionChange(new PositionChange("P", state with { ContractsRemaining = 0, FillWatermark = 9 },
            [("SPY260220P00580000", -10, 2.22), ("SPY260220P00575000", 10, 0.96)], 6));
        Assert.Empty(journal.Positions.LoadOpenPositions());
    }

    [Fact]
    public void A_resize_of_an_unknown_position_or_leg_is_a_conflict_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        var state = new PositionState(5, 5, 0, false, double.NaN, 1, 0, 3);
        Assert.Throws<JournalConflictException>(() => journal.Positions.RecordPositionChange(new PositionChange("P", state, [], 1)));
        journal.Positions.UpsertPosition("P", Definition, 1);
        Assert.Throws<JournalConflictException>(() => journal.Positions.RecordPositionChange(new PositionChange("P", state, [("QQQ", 5, 1.0)], 1)));
        Assert.False(journal.Positions.TryLoadPositionState("P", out _));
        Assert.Equal(Definition, Assert.Single(journal.Positions.LoadOpenPositions()).DefinitionJson);
    }

    [Fact]
    public void The_periodic_state_save_never_writes_a_state_whose_resize_is_not_journaled_yet()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        journal.Positions.UpsertPosition("P", Definition, 1);
        var before = new PositionState(4, 4, 0, true, 0.5, 1, 0, FillWatermark: 0);
        Assert.True(journal.Positions.SaveStateIfCurrent("P", before, 1));
        // the engine grew the position (watermark 3) but the resize is still on its way to the journal
        var ahead = before with { ContractsOriginal = 10, ContractsRemaining = 10, FillWatermark = 3 };
        Assert.False(journal.Positions.SaveStateIfCurrent("P", ahead, 2));
        Assert.Equal(before, PositionStateJson.Parse(Assert.Single(journal.Positions.LoadOpenPositions()).StateJson!, "P"));
        journal.Positions.RecordPositionChange(new PositionChange("P", ahead, [("SPY260220P00580000", -10, 2.22), ("SPY260220P00575000", 10, 0.96)], 3));
        Assert.True(journal.Positions.SaveStateIfCurrent("P", ahead with { TrailingPeakPerContract = 0.7 }, 4));
    }

    [Fact]
    public void A_version_1_journal_is_migrated_its_fills_keep_their_order_and_are_not_fed_again()
    {
        using var dir = new TempDirectory();
        var path = dir.File("v1.db");
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = """
                CREATE TABLE fills (id TEXT PRIMARY KEY, position_id TEXT NOT NULL, symbol TEXT NOT NULL, qty REAL NOT NULL,
                    price REAL NOT NULL, time INTEGER NOT NULL, raw_json TEXT, recorded_at INTEGER NOT NULL);
                CREATE INDEX fills_by_position ON fills (position_id);
                INSERT INTO fills VALUES ('old-1', 'P', 'META', 2, 10.0, 1, NULL, 1), ('old-2', 'P', 'META', 1, 11.0, 2, NULL, 2);
                PRAGMA user_version=1;
                """;
            c.ExecuteNonQuery();
        }
        using var journal = JournalDatabase.Open(path);
        Assert.Equal("3", journal.ReadPragma("user_version"));
        Assert.Equal([1L, 2L], journal.Fills.Fills("P").Select(f => f.Ordinal));
        Assert.Empty(journal.Fills.FillsToApply("P", 0));   // v1 never applied fills to sizes: replaying them now would resize twice
        Assert.Equal(FillRecordOutcome.Recorded, journal.Fills.RecordFill(Fill("new", 1), 3, out long ord));
        Assert.Equal(3, ord);
        Assert.Equal(["new"], journal.Fills.FillsToApply("P", 0).Select(f => f.Id));
    }
}
