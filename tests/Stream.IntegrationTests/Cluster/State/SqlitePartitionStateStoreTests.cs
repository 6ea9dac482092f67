using Microsoft.Data.Sqlite;
using Streamer.Stream.Cluster.State;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Cluster.State;

/// <summary>The contract on a real SQLite file in a temp directory; every store of a test opens that one file with its own connection.</summary>
public sealed class SqlitePartitionStateStoreTests : PartitionStateStoreContract
{
    private readonly TempDirectory _dir = new();

    private string File => _dir.File("state.db");

    protected override Task<IPartitionStateStore> OpenStoreAsync() =>
        Task.FromResult<IPartitionStateStore>(SqlitePartitionStateStore.Open(File, Partitions));

    protected override int? ValueLimit(IPartitionStateStore store) => null;

    protected override string KeyOf(int partition) => $"table checkpoint_positions, partition {partition}, position 'P1'";

    protected override Task CorruptCheckpointAsync(int partition)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = File, Pooling = false }.ToString());
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = "UPDATE checkpoint_positions SET tranches_fired = 'not json' WHERE partition = $p AND id = 'P1'";
        c.Parameters.AddWithValue("$p", partition);
        Assert.Equal(1, c.ExecuteNonQuery());
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_checkpoint_row_whose_positions_are_gone_is_refused_naming_the_counts()
    {
        var store = await OpenAsync();
        await store.SaveAsync(2, Checkpoint(1, 3), 0);
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = File, Pooling = false }.ToString()))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = "DELETE FROM checkpoint_positions WHERE partition = 2 AND ord = 2";
            c.ExecuteNonQuery();
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await store.LoadAsync(2));
        Assert.Contains("table checkpoints, partition 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("says 3 positions, checkpoint_positions holds 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_from_a_newer_build_is_refused_naming_both_versions()
    {
        await (await OpenAsync()).DisposeAsync();
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = File, Pooling = false }.ToString()))
        {
            db.Open();
            using var c = db.CreateCommand();
            c.CommandText = "PRAGMA user_version=99;";
            c.ExecuteNonQuery();
        }

        var e = Assert.Throws<InvalidOperationException>(() => SqlitePartitionStateStore.Open(File, Partitions));
        Assert.Contains($"schema version 99 is newer than this build's {SqlitePartitionStateStore.SchemaVersion}", e.Message, StringComparison.Ordinal);
    }
}
