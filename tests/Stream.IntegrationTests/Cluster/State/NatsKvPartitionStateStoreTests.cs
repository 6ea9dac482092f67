using NATS.Client.KeyValueStore;
using Streamer.Stream.Cluster.State;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Cluster.State;

/// <summary>
/// The contract on a real nats-server with JetStream on loopback (one server for the class, a bucket of
/// its own per test); every store of a test has its own connection, as another engine would.
/// </summary>
public sealed class NatsKvPartitionStateStoreTests(NatsKvPartitionStateStoreTests.OneServer shared) : PartitionStateStoreContract, IClassFixture<NatsKvPartitionStateStoreTests.OneServer>
{
    /// <summary>One nats-server for the class (xunit's class fixture needs a single constructor, the fixture has two).</summary>
    public sealed class OneServer : IDisposable
    {
        public NatsServerFixture Server { get; } = new();

        public void Dispose() => Server.Dispose();
    }

    private readonly NatsServerFixture _server = shared.Server;

    private readonly string _bucket = "state-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<NatsBus> _buses = [];

    protected override async Task<IPartitionStateStore> OpenStoreAsync()
    {
        var bus = await TestBus.ConnectedAsync(_server.Url);
        _buses.Add(bus);
        return await NatsKvPartitionStateStore.OpenAsync(new JetStreamClient(bus), Partitions, _bucket);
    }

    protected override int? ValueLimit(IPartitionStateStore store) => ((NatsKvPartitionStateStore)store).ValueLimit;

    protected override string KeyOf(int partition) => $"partition state bucket {_bucket}, key p.{partition}";

    protected override async Task CorruptCheckpointAsync(int partition)
    {
        var kv = await RawBucketAsync();
        await kv.PutAsync($"p.{partition}", """{"v":1,"partition":3,"clock_ns":1}"""u8.ToArray());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var bus in _buses) bus.Dispose();
    }

    [Fact]
    public async Task A_checkpoint_of_exactly_the_value_limit_is_saved_through_the_server_and_one_byte_more_is_refused()
    {
        var store = (NatsKvPartitionStateStore)await OpenAsync();
        Assert.Equal(1024 * 1024 - NatsKvPartitionStateStore.HeaderAllowance, store.ValueLimit);
        var exact = Padded(store, store.ValueLimit);
        var over = Padded(store, store.ValueLimit + 1);

        var saved = await store.SaveAsync(1, exact, 0);
        Assert.True(saved.Saved, saved.Refusal);
        AssertSame(exact, (await store.LoadAsync(1))!.Checkpoint);
        var refused = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await store.SaveAsync(1, over, saved.Revision));
        Assert.Contains($"{store.ValueLimit + 1} bytes encoded, over the {store.ValueLimit} bytes", refused.Message, StringComparison.Ordinal);
        Assert.Contains("max_payload 1048576", refused.Message, StringComparison.Ordinal);
        Assert.Equal(saved.Revision, (await store.LoadAsync(1))!.Revision);
    }

    [Fact]
    public async Task Fills_are_kept_under_base64url_keys_of_their_ids_and_a_foreign_value_among_them_is_named()
    {
        var store = (NatsKvPartitionStateStore)await OpenAsync();
        await store.AppendFillAsync(2, new PartitionFill("alpaca:ord:1", "P", "{}"));
        var kv = await RawBucketAsync();
        var keys = new List<string>();
        await foreach (var key in kv.GetKeysAsync()) keys.Add(key);
        Assert.Equal(["p.2.f.YWxwYWNhOm9yZDox"], keys);

        await kv.PutAsync("p.2.f.garbage", "not json"u8.ToArray());
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await store.FillsAsync(2));
        Assert.Contains($"partition state bucket {_bucket}, key p.2.f.garbage", e.Message, StringComparison.Ordinal);
    }

    private static PartitionCheckpoint Padded(NatsKvPartitionStateStore store, int bytes)
    {
        var position = new PartitionPosition("P", "{}", PartitionPositionStatus.Open, "", [], 1);
        int size = store.EncodedSize(1, new PartitionCheckpoint(1, 2, 3, [position]));
        var checkpoint = new PartitionCheckpoint(1, 2, 3, [position with { StateJson = new string('x', bytes - size) }]);
        Assert.Equal(bytes, store.EncodedSize(1, checkpoint));
        return checkpoint;
    }

    private async Task<INatsKVStore> RawBucketAsync()
    {
        var bus = await TestBus.ConnectedAsync(_server.Url);
        _buses.Add(bus);
        return await new NatsKVContext(new JetStreamClient(bus).Context).GetStoreAsync(_bucket);
    }
}
