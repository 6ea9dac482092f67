using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Cluster.State;

/// <summary>
/// <see cref="IPartitionStateStore"/> in a JetStream KV bucket (default <c>streamer-state</c>, history 1,
/// file storage), the cluster's: any engine that gains a partition reads what the last owner wrote.
/// Key <c>p.&lt;n&gt;</c>: the checkpoint, one JSON value (clock, sequences, every position), so a save
/// is one compare-and-set on the key's revision (the server's <c>Nats-Expected-Last-Subject-Sequence</c>,
/// as the leases) and a reader never sees half of one. Key <c>p.&lt;n&gt;.f.&lt;base64url(fill id)&gt;</c>:
/// one fill, written by create, so a second append of an id is refused by the server. Revisions are
/// the bucket stream's sequences: they only grow, a delete included. One value must fit the server's
/// <c>max_payload</c> (1 MB by default) with its headers: a checkpoint over it is refused before
/// anything is sent (the server would close the connection) naming its size and the limit.
/// Works on nats-server 2.9.
/// </summary>
public sealed class NatsKvPartitionStateStore : IPartitionStateStore
{
    public const string DefaultBucket = "streamer-state";

    /// <summary>What a KV write's headers take of <c>max_payload</c> (<c>NATS/1.0</c> and <c>Nats-Expected-Last-Subject-Sequence</c>: under 80 bytes), with room to spare.</summary>
    public const int HeaderAllowance = 256;

    private readonly NatsVersionedBucket _bucket;
    private readonly IMessageBus _bus;
    private readonly TimeProvider _time;
    private readonly string[] _keys;

    private NatsKvPartitionStateStore(NatsVersionedBucket bucket, IMessageBus bus, string name, int partitions, TimeProvider time)
    {
        _bucket = bucket;
        _bus = bus;
        _time = time;
        Bucket = name;
        Partitions = partitions;
        _keys = [.. Enumerable.Range(0, partitions).Select(PartitionMap.LeaseKey)];
    }

    public string Bucket { get; }

    public int Partitions { get; }

    /// <summary>The most bytes one value may have now: the server's <c>max_payload</c> less <see cref="HeaderAllowance"/>.</summary>
    public int ValueLimit => _bus.MaxPayload - HeaderAllowance;

    /// <summary>Opens the bucket, creating it when missing (every engine does; creating twice is harmless).</summary>
    public static async Task<NatsKvPartitionStateStore> OpenAsync(JetStreamClient jetStream, int partitions, string bucket = DefaultBucket, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        PartitionStateInput.CheckPartitions(partitions);
        if (string.IsNullOrEmpty(bucket) || !bucket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"'{bucket}' is not a KV bucket name (letters, digits, '-' or '_')", nameof(bucket));
        var store = await NatsVersionedBucket.OpenAsync(jetStream, bucket, maxAge: null, cancellationToken).ConfigureAwait(false);
        return new NatsKvPartitionStateStore(store, jetStream.Bus, bucket, partitions, time ?? TimeProvider.System);
    }

    public async ValueTask<StoredCheckpoint?> LoadAsync(int partition, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        var entry = await _bucket.GetAsync(_keys[partition], cancellationToken).ConfigureAwait(false);
        if (entry is null) return null;
        var checkpoint = PartitionStateCodec.DecodeCheckpoint(entry.Value, partition, Where(_keys[partition]));
        return new StoredCheckpoint(entry.Revision, checkpoint);
    }

    public async ValueTask<CheckpointSave> SaveAsync(int partition, PartitionCheckpoint checkpoint, ulong expectedRevision, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        PartitionStateInput.CheckCheckpoint(partition, checkpoint);
        var key = _keys[partition];
        var value = PartitionStateCodec.EncodeCheckpoint(partition, checkpoint, _time.GetUtcNow().ToUnixTimeMilliseconds());
        CheckSize(value.Length, partition, $"checkpoint ({checkpoint.Positions.Count} positions)");
        ulong? written = expectedRevision == 0
            ? await _bucket.CreateAsync(key, value, cancellationToken).ConfigureAwait(false)
            : await _bucket.UpdateAsync(key, value, expectedRevision, cancellationToken).ConfigureAwait(false);
        if (written is { } revision) return CheckpointSave.Written(revision);
        // refused by the server: say what it holds now (a read after the refusal, so possibly newer still)
        var current = await _bucket.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return CheckpointSave.Stale(partition, expectedRevision, current?.Revision ?? 0);
    }

    public async ValueTask<FillAppend> AppendFillAsync(int partition, PartitionFill fill, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        PartitionStateInput.CheckFill(partition, fill);
        var value = PartitionStateCodec.EncodeFill(fill);
        CheckSize(value.Length, partition, $"fill '{fill.FillId}'");
        var created = await _bucket.CreateAsync(FillKey(partition, fill.FillId), value, cancellationToken).ConfigureAwait(false);
        return created is null ? FillAppend.Duplicate : FillAppend.Appended;
    }

    public async ValueTask<IReadOnlyList<PartitionFill>> FillsAsync(int partition, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        var entries = await _bucket.EntriesAsync(FillFilter(partition), cancellationToken).ConfigureAwait(false);
        var fills = new List<PartitionFill>(entries.Count);
        foreach (var (key, value) in entries) fills.Add(PartitionStateCodec.DecodeFill(value.Value, Where(key)));
        return fills;
    }

    public async ValueTask DeleteAsync(int partition, CancellationToken cancellationToken = default)
    {
        PartitionStateInput.CheckPartition(partition, Partitions);
        // the checkpoint first: a delete cut short leaves fills, which a new owner re-reads harmlessly, never a checkpoint without its fills
        await _bucket.DeleteAsync(_keys[partition], cancellationToken).ConfigureAwait(false);
        foreach (var (key, _) in await _bucket.EntriesAsync(FillFilter(partition), cancellationToken).ConfigureAwait(false))
            await _bucket.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The connection is the caller's (one per engine): nothing to close here.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The key of a fill: its id as base64url of its UTF-8 bytes (a KV key takes only letters, digits and <c>-_=./</c>; fill ids hold <c>:</c>).</summary>
    internal string FillKey(int partition, string fillId) =>
        string.Concat(_keys[partition], ".f.", Base64Url.EncodeToString(Encoding.UTF8.GetBytes(fillId)));

    /// <summary>The bytes <see cref="SaveAsync"/> would send for <paramref name="checkpoint"/> now (tests: a checkpoint of exactly the limit).</summary>
    internal int EncodedSize(int partition, PartitionCheckpoint checkpoint) =>
        PartitionStateCodec.EncodeCheckpoint(partition, checkpoint, _time.GetUtcNow().ToUnixTimeMilliseconds()).Length;

    private string FillFilter(int partition) => _keys[partition] + ".f.>";

    private string Where(string key) => $"partition state bucket {Bucket}, key {key}";

    private void CheckSize(int bytes, int partition, string what)
    {
        int limit = ValueLimit;
        if (bytes <= limit) return;
        throw new MessageTooLargeException(string.Create(CultureInfo.InvariantCulture,
            $"partition {partition} {what}: {bytes} bytes encoded, over the {limit} bytes one value in bucket {Bucket} may have (the server's max_payload {_bus.MaxPayload} less {HeaderAllowance} for headers); nothing was written. Raise max_payload on every server, spread the positions over more partitions (Cluster:Partitions), or use the SQLite store"));
    }
}
