namespace Streamer.Stream.Cluster;

/// <summary>
/// One KV bucket as the lease protocol needs it: reads that return the key's revision, and writes
/// that are compare-and-set on it. A false/null answer is "someone else wrote first"; a broken
/// connection or a timeout throws (the caller keeps its state and lets the lease time decide).
/// </summary>
internal interface IVersionedBucket
{
    /// <summary>The key's current value and revision; null when it was never written, deleted or purged.</summary>
    ValueTask<VersionedValue?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes only if the key does not exist; the new revision, or null when it does.</summary>
    ValueTask<ulong?> CreateAsync(string key, byte[] value, CancellationToken cancellationToken);

    /// <summary>Writes only if the key's revision is still <paramref name="revision"/>; the new revision, or null when it moved.</summary>
    ValueTask<ulong?> UpdateAsync(string key, byte[] value, ulong revision, CancellationToken cancellationToken);

    /// <summary>Writes unconditionally (the member heartbeat, which only this engine writes).</summary>
    ValueTask<ulong> PutAsync(string key, byte[] value, CancellationToken cancellationToken);

    /// <summary>Deletes unconditionally (the member entry on a graceful leave).</summary>
    ValueTask DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>The keys that hold a value now.</summary>
    ValueTask<IReadOnlyList<string>> KeysAsync(CancellationToken cancellationToken);
}

internal sealed record VersionedValue(ulong Revision, byte[] Value);
