using Microsoft.Data.Sqlite;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Journal;

public sealed class ExitOrdersJournalTests
{
    [Fact]
    public void A_journal_written_before_the_executor_existed_opens_and_gains_its_tables()
    {
        using var dir = new TempDirectory();
        var path = dir.File("old.db");
        // the schema as it was before exit_orders/trading_state, with one exit in it
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = JournalSchema.Create[..JournalSchema.Create.IndexOf("-- the Alpaca executor", StringComparison.Ordinal)]
                + $"PRAGMA user_version={JournalSchema.Version}; INSERT INTO exits (id, position_id, seq, subject, payload, decided_at) VALUES ('OLD-1:1', 'OLD-1', 1, 'streamer.exits.X', x'7b7d', 5);";
            c.ExecuteNonQuery();
        }
        using var journal = JournalDatabase.Open(path);
        Assert.Equal("OLD-1:1", Assert.Single(journal.Exits.ListExits()).Id);
        // the executor starts after what the file already held: an old exit is never traded
        Assert.Equal(1, journal.Orders.ExecutorStartOrd());
        Assert.Null(journal.Orders.FindExitOrder("OLD-1:1"));
    }

    [Fact]
    public void The_executor_start_mark_is_set_once_and_kept()
    {
        using var dir = new TempDirectory();
        var path = dir.File("j.db");
        using (var journal = JournalDatabase.Open(path))
        {
            Assert.Equal(0, journal.Orders.ExecutorStartOrd()); // empty journal: every exit is the executor's
            journal.Exits.RecordExitDecided(JournalTestData.Exit("P", 1));
            journal.Exits.RecordExitDecided(JournalTestData.Exit("P", 2));
            Assert.Equal(0, journal.Orders.ExecutorStartOrd());
            Assert.Equal(2, journal.Exits.LastExitOrd());
            Assert.Equal(["P:2"], journal.Exits.ExitsAfter(1).Select(e => e.Exit.Id));
            Assert.Equal([(1L, "P:1"), (2L, "P:2")], journal.Exits.ExitsAfter(0).Select(e => (e.Ord, e.Exit.Id)));
        }
        using (var again = JournalDatabase.Open(path))
        {
            Assert.Equal(0, again.Orders.ExecutorStartOrd());
            Assert.Null(again.Orders.TradingValue("executor_seen_ord"));
            again.Orders.SetTradingValue("executor_seen_ord", 2);
            again.Orders.SetTradingValue("executor_seen_ord", 5);
        }
        using (var third = JournalDatabase.Open(path))
            Assert.Equal(5, third.Orders.TradingValue("executor_seen_ord"));
    }

    [Fact]
    public void An_exit_order_row_is_replaced_as_it_moves_and_survives_a_reopen()
    {
        using var dir = new TempDirectory();
        var path = dir.File("j.db");
        using (var journal = JournalDatabase.Open(path))
        {
            journal.Orders.SaveExitOrder(new ExitOrderRecord("P:1", "P", "P:1", null, ExitOrderStatus.Pending, 1, null), 1);
            journal.Orders.SaveExitOrder(new ExitOrderRecord("P:1", "P", "P:1#2", "ord-2", ExitOrderStatus.Submitted, 2, "refused (403)"), 2);
        }
        using (var again = JournalDatabase.Open(path))
        {
            var row = again.Orders.FindExitOrder("P:1");
            Assert.Equal(new ExitOrderRecord("P:1", "P", "P:1#2", "ord-2", ExitOrderStatus.Submitted, 2, "refused (403)"), row);
            Assert.False(row!.IsDone);
            again.Orders.SaveExitOrder(row with { Status = ExitOrderStatus.Filled }, 3);
            Assert.True(again.Orders.FindExitOrder("P:1")!.IsDone);
        }
    }

    [Fact]
    public void Positions_and_fills_the_journal_knows()
    {
        using var dir = new TempDirectory();
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.False(journal.Positions.KnowsPosition("alpaca-MSFT"));
        journal.Positions.UpsertPosition("alpaca-MSFT", "{}", 1);
        journal.Positions.SetPositionStatus("alpaca-MSFT", PositionStatus.Closed, 2);
        Assert.True(journal.Positions.KnowsPosition("alpaca-MSFT")); // closed still counts: its exit ids are taken
        journal.Positions.UpsertPosition("OPEN-1", "{}", 1);
        Assert.Equal(["OPEN-1"], journal.Positions.OpenPositionIds());
        journal.Exits.RecordExitDecided(JournalTestData.Exit("FILEONLY", 1));
        Assert.True(journal.Positions.KnowsPosition("FILEONLY"));

        journal.Fills.RecordFill(new FillRecord("alpaca:ord-1:3", "P", "AAPL", 3, 1, 1), 1);
        Assert.True(journal.Fills.HasFill("alpaca:ord-1:3"));
        Assert.True(journal.Fills.HasFillWithPrefix("alpaca:ord-1:"));
        Assert.False(journal.Fills.HasFillWithPrefix("alpaca:ord-10:"));
        Assert.False(journal.Fills.HasFill("alpaca:ord-1:4"));
    }
}
