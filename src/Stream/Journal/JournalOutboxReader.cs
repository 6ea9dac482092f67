using Microsoft.Data.Sqlite;

namespace Streamer.Stream.Journal;

/// <summary>
/// The outbox publisher's own read connection to the journal (<see cref="ExitStore.OpenOutboxReader"/>):
/// WAL lets it read committed exits while the journal's connection commits the next ones.
/// </summary>
public sealed class JournalOutboxReader(SqliteConnection db) : IDisposable
{
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>as <see cref="ExitStore.ListUnpublishedAfter"/>.</summary>
    public IReadOnlyList<(long Ord, JournaledExit Exit)> ListUnpublishedAfter(long afterOrd, int limit)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var c = db.CreateCommand();
            return ExitStore.ReadUnpublishedAfter(c, afterOrd, limit);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            db.Dispose();
        }
    }
}
