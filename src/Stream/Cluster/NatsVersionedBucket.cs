using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Cluster;

/// <summary>
/// <see cref="IVersionedBucket"/> over a JetStream KV bucket (NATS.Client.KeyValueStore). The CAS is
/// the server's: an update carries <c>Nats-Expected-Last-Subject-Sequence</c> = the revision, and the
/// stream refuses it when the key's last message has another sequence. Works on nats-server 2.9 (no
/// per-message TTL is used).
/// </summary>
internal sealed class NatsVersionedBucket : IVersionedBucket
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private readonly INatsKVStore _store;

    private NatsVersionedBucket(INatsKVStore store) => _store = store;

    /// <summary>Opens the bucket, creating it when missing (every engine does this at start; creating twice is harmless).</summary>
    public static async Task<NatsVersionedBucket> OpenAsync(JetStreamClient jetStream, string bucket, TimeSpan? maxAge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        var kv = new NatsKVContext(jetStream.Context);
        var config = new NatsKVConfig(bucket) { History = 1, Storage = NatsKVStorageType.File };
        if (maxAge is { } age) config = config with { MaxAge = age };
        INatsKVStore store;
        try
        {
            store = await kv.CreateStoreAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException)
        {
            // it exists with another configuration (another engine's, an older release): use it as it is
            store = await kv.GetStoreAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        return new NatsVersionedBucket(store);
    }

    public async ValueTask<VersionedValue?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var result = await _store.TryGetEntryAsync(key, serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Success) return new VersionedValue(result.Value.Revision, result.Value.Value ?? []);
        if (result.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException) return null;
        throw result.Error;
    }

    public async ValueTask<ulong?> CreateAsync(string key, byte[] value, CancellationToken cancellationToken)
    {
        var result = await _store.TryCreateAsync(key, value, Raw, cancellationToken).ConfigureAwait(false);
        if (result.Success) return result.Value;
        if (result.Error is NatsKVCreateException or NatsKVWrongLastRevisionException) return null;
        throw result.Error;
    }

    public async ValueTask<ulong?> UpdateAsync(string key, byte[] value, ulong revision, CancellationToken cancellationToken)
    {
        var result = await _store.TryUpdateAsync(key, value, revision, Raw, cancellationToken).ConfigureAwait(false);
        if (result.Success) return result.Value;
        if (result.Error is NatsKVWrongLastRevisionException) return null;
        throw result.Error;
    }

    public async ValueTask<ulong> PutAsync(string key, byte[] value, CancellationToken cancellationToken) =>
        await _store.PutAsync(key, value, Raw, cancellationToken).ConfigureAwait(false);

    public async ValueTask DeleteAsync(string key, CancellationToken cancellationToken) =>
        await _store.DeleteAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Every key matching <paramref name="filter"/> (one subject filter: nats-server 2.9 takes one per
    /// consumer) that holds a value now, with its value and revision, in revision order.
    /// </summary>
    public async ValueTask<IReadOnlyList<(string Key, VersionedValue Value)>> EntriesAsync(string filter, CancellationToken cancellationToken)
    {
        var entries = new List<(string Key, VersionedValue Value)>();
        // deletes are delivered too (and skipped here): the last entry, Delta 0, may be one, and it is the end of the listing
        var opts = new NatsKVWatchOpts { IgnoreDeletes = false, OnNoData = static _ => ValueTask.FromResult(true) };
        await foreach (var entry in _store.WatchAsync(filter, Raw, opts, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Operation == NatsKVOperation.Put) entries.Add((entry.Key, new VersionedValue(entry.Revision, entry.Value ?? [])));
            if (entry.Delta == 0) break;
        }
        entries.Sort(static (a, b) => a.Value.Revision.CompareTo(b.Value.Revision));
        return entries;
    }

    public async ValueTask<IReadOnlyList<string>> KeysAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        try
        {
            await foreach (var key in _store.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
                keys.Add(key);
        }
        catch (NatsKVException) when (keys.Count == 0)
        {
            // an empty bucket: nothing to list
        }
        return keys;
    }
}
