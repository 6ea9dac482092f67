using System.Globalization;
using System.Runtime.CompilerServices;

namespace Streamer.Stream.Cluster.State;

/// <summary>The checks both stores make before writing anything, so both refuse the same input with the same words.</summary>
internal static class PartitionStateInput
{
    /// <summary>A fill id is part of a KV key (base64url of its UTF-8): bounded so the key stays far below NATS's control-line limit.</summary>
    public const int MaxFillIdLength = 256;

    public static int CheckPartitions(int partitions)
    {
        if (partitions is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, "a state store keeps 1..4096 partitions (Cluster:Partitions)");
        return partitions;
    }

    public static void CheckPartition(int partition, int partitions)
    {
        if ((uint)partition >= (uint)partitions) ThrowPartition(partition, partitions);
    }

    public static void CheckCheckpoint(int partition, PartitionCheckpoint checkpoint)
    {
        if (checkpoint is null) throw new ArgumentNullException(nameof(checkpoint), $"partition {partition}: the checkpoint is null");
        if (checkpoint.Positions is null) throw new ArgumentException($"partition {partition} checkpoint: Positions is null (an empty list for none)", nameof(checkpoint));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < checkpoint.Positions.Count; i++)
        {
            var p = checkpoint.Positions[i];
            string at = string.Create(CultureInfo.InvariantCulture, $"partition {partition} checkpoint: position #{i}");
            if (p is null) throw new ArgumentException($"{at} is null", nameof(checkpoint));
            if (string.IsNullOrWhiteSpace(p.Id)) throw new ArgumentException($"{at} has an empty id", nameof(checkpoint));
            if (!ids.Add(p.Id)) throw new ArgumentException($"{at}: id '{p.Id}' appears twice", nameof(checkpoint));
            if (string.IsNullOrWhiteSpace(p.DefinitionJson)) throw new ArgumentException($"{at} ('{p.Id}') has an empty definition", nameof(checkpoint));
            if (p.Status is not (PartitionPositionStatus.Open or PartitionPositionStatus.Closed))
                throw new ArgumentException($"{at} ('{p.Id}') has status {(int)p.Status}, neither Open nor Closed", nameof(checkpoint));
            if (p.TranchesFired is null) throw new ArgumentException($"{at} ('{p.Id}'): TranchesFired is null (an empty list for none)", nameof(checkpoint));
            foreach (int t in p.TranchesFired)
                if (t < 0) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{at} ('{p.Id}'): tranche index {t} is negative"), nameof(checkpoint));
            if (p.NextExitSequence < 1)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{at} ('{p.Id}'): next exit sequence {p.NextExitSequence} is below 1 (a position's first exit is 1)"), nameof(checkpoint));
        }
    }

    public static void CheckFill(int partition, PartitionFill fill)
    {
        if (fill is null) throw new ArgumentNullException(nameof(fill), $"partition {partition}: the fill is null");
        if (string.IsNullOrWhiteSpace(fill.FillId)) throw new ArgumentException($"partition {partition} fill: the fill id is empty", nameof(fill));
        if (fill.FillId.Length > MaxFillIdLength)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"partition {partition} fill: the fill id is {fill.FillId.Length} characters, over {MaxFillIdLength}"), nameof(fill));
        if (string.IsNullOrWhiteSpace(fill.PositionId)) throw new ArgumentException($"partition {partition} fill '{fill.FillId}': the position id is empty", nameof(fill));
        if (string.IsNullOrWhiteSpace(fill.FillJson)) throw new ArgumentException($"partition {partition} fill '{fill.FillId}': the fill JSON is empty", nameof(fill));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPartition(int partition, int partitions) =>
        throw new ArgumentOutOfRangeException(nameof(partition), partition, string.Create(CultureInfo.InvariantCulture, $"partition {partition} is outside 0..{partitions - 1}"));
}
