namespace Streamer.Stream.Cluster.State;

/// <summary>
/// Where a partition's state lives between owners (docs/cluster.md "State that travels"): its
/// checkpoint, written compare-and-set on the revision the writer last saw, and its fills, appended
/// once per fill id. Two adapters behind it: <see cref="SqlitePartitionStateStore"/> (one file, one
/// process) and <see cref="NatsKvPartitionStateStore"/> (JetStream KV, any engine of the cluster).
/// A refusal that is part of the protocol (a stale revision, a duplicate fill) is a result; bad input,
/// a value over the store's limit and a stored value this release cannot read throw, naming what.
/// </summary>
public interface IPartitionStateStore : IAsyncDisposable
{
    /// <summary>The partitions this store keeps: 0..<see cref="Partitions"/> − 1 (<see cref="ClusterOptions.Partitions"/>).</summary>
    int Partitions { get; }

    /// <summary>The partition's last saved checkpoint with its revision; null when none was saved (or it was deleted).</summary>
    ValueTask<StoredCheckpoint?> LoadAsync(int partition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the partition's checkpoint only if its revision is still <paramref name="expectedRevision"/>
    /// (0: only if there is none). Otherwise nothing is written and the result says which revision the
    /// store holds: another owner wrote since, and this writer must stop acting for the partition.
    /// Revisions only grow, across deletes too, so a revision seen once is never valid again later.
    /// A timeout or a lost connection throws with the outcome unknown: reload before saving again.
    /// </summary>
    ValueTask<CheckpointSave> SaveAsync(int partition, PartitionCheckpoint checkpoint, ulong expectedRevision, CancellationToken cancellationToken = default);

    /// <summary>Keeps a fill for the partition's next owner; a fill id it already holds is reported and the stored fill is left as it was.</summary>
    ValueTask<FillAppend> AppendFillAsync(int partition, PartitionFill fill, CancellationToken cancellationToken = default);

    /// <summary>The partition's fills in the order they were appended.</summary>
    ValueTask<IReadOnlyList<PartitionFill>> FillsAsync(int partition, CancellationToken cancellationToken = default);

    /// <summary>Removes the partition's checkpoint and fills (unconditionally: an operator's or a test's reset, not an owner's step).</summary>
    ValueTask DeleteAsync(int partition, CancellationToken cancellationToken = default);
}

/// <summary>
/// A partition engine's state as of one tick: its clock, the tick-stream and exit-stream sequences it
/// was computed through (the new owner reads ticks from <see cref="TickSequence"/> + 1 and adopts exits
/// after <see cref="ExitSequence"/>), and every position it holds.
/// </summary>
/// <param name="ClockNs">the partition engine's clock, UTC nanoseconds since the epoch.</param>
public sealed record PartitionCheckpoint(long ClockNs, ulong TickSequence, ulong ExitSequence, IReadOnlyList<PartitionPosition> Positions);

/// <summary>
/// One position of a checkpoint: field for field the journal's <c>JournaledPosition</c> (not that type:
/// the journal's outbox will need the fence from this project, so this project cannot reference it).
/// </summary>
/// <param name="DefinitionJson">the position as given, opaque to the store.</param>
/// <param name="StateJson">the engine's per-position rule state, null if it has none yet.</param>
public sealed record PartitionPosition(
    string Id,
    string DefinitionJson,
    PartitionPositionStatus Status,
    string? StateJson,
    IReadOnlyList<int> TranchesFired,
    long NextExitSequence);

public enum PartitionPositionStatus
{
    Open,
    Closed,
}

/// <summary>A checkpoint as stored, with the revision a save must name to replace it.</summary>
public sealed record StoredCheckpoint(ulong Revision, PartitionCheckpoint Checkpoint);

/// <summary>A fill the partition's next owner must find: its id (unique per partition), its position and the fill as received (JSON, opaque to the store).</summary>
public sealed record PartitionFill(string FillId, string PositionId, string FillJson);

public enum FillAppend
{
    Appended,

    /// <summary>the partition already holds a fill with this id; nothing was written.</summary>
    Duplicate,
}

/// <summary>
/// The answer to a save: written at <see cref="Revision"/>, or refused because the store's revision is
/// <see cref="Revision"/> (0: it holds no checkpoint), not the one the writer expected.
/// </summary>
public readonly record struct CheckpointSave(bool Saved, ulong Revision, string? Refusal)
{
    public static CheckpointSave Written(ulong revision) => new(true, revision, null);

    public static CheckpointSave Stale(int partition, ulong expected, ulong current) => new(false, current, current == 0
        ? $"partition {partition}: checkpoint not saved: revision {expected} was expected, the store holds none (deleted since); nothing was written"
        : expected == 0
            ? $"partition {partition}: checkpoint not saved: none was expected, the store holds revision {current} (another owner saved one); nothing was written"
            : $"partition {partition}: checkpoint not saved: revision {expected} was expected, the store holds revision {current} (another owner saved since); nothing was written");
}
