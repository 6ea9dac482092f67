using Streamer.Stream.Cluster;

namespace Streamer.Stream.Tests.Cluster;

/// <summary>
/// A KV bucket in memory with JetStream's semantics: one revision sequence for the whole bucket,
/// create fails on a live key, update is a CAS on the key's revision. <see cref="BeforeEachOperation"/>
/// runs before the operation is applied, <see cref="AfterEachOperation"/> after it (a test advances the
/// clock there: the request's and the reply's flight times).
/// </summary>
internal sealed class InMemoryBucket : IVersionedBucket
{
    private readonly Dictionary<string, VersionedValue> _entries = new(StringComparer.Ordinal);
    private ulong _sequence;

    public Action? BeforeEachOperation { get; set; }

    public Action? AfterEachOperation { get; set; }

    public ValueTask<VersionedValue?> GetAsync(string key, CancellationToken cancellationToken)
    {
        BeforeEachOperation?.Invoke();
        return Reply(_entries.GetValueOrDefault(key));
    }

    public ValueTask<ulong?> CreateAsync(string key, byte[] value, CancellationToken cancellationToken)
    {
        BeforeEachOperation?.Invoke();
        if (_entries.ContainsKey(key)) return Reply<ulong?>(null);
        return Reply<ulong?>(Write(key, value));
    }

    public ValueTask<ulong?> UpdateAsync(string key, byte[] value, ulong revision, CancellationToken cancellationToken)
    {
        BeforeEachOperation?.Invoke();
        if (!_entries.TryGetValue(key, out var entry) || entry.Revision != revision) return Reply<ulong?>(null);
        return Reply<ulong?>(Write(key, value));
    }

    public ValueTask<ulong> PutAsync(string key, byte[] value, CancellationToken cancellationToken)
    {
        BeforeEachOperation?.Invoke();
        return Reply(Write(key, value));
    }

    public ValueTask DeleteAsync(string key, CancellationToken cancellationToken)
    {
        BeforeEachOperation?.Invoke();
        _entries.Remove(key);
        _sequence++;
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> KeysAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _entries.Keys]);

    public LeaseRecord? Lease(int partition) =>
        _entries.TryGetValue(PartitionMap.LeaseKey(partition), out var e) ? LeaseRecord.Decode(e.Value) : null;

    private ValueTask<T> Reply<T>(T value)
    {
        AfterEachOperation?.Invoke();
        return ValueTask.FromResult(value);
    }

    private ulong Write(string key, byte[] value)
    {
        _entries[key] = new VersionedValue(++_sequence, value);
        return _sequence;
    }
}
