using System.Collections.Concurrent;
using System.Text;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Nats;

/// <summary>The bus contract, run against each implementation.</summary>
public abstract class MessageBusContractTests
{
    private protected abstract IMessageBus Create(string url);

    private async Task<IMessageBus> ConnectedAsync(string url)
    {
        var bus = Create(url);
        if (!await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)))
        {
            var error = bus.LastError;
            bus.Dispose();
            throw new InvalidOperationException($"could not connect to {url}: {error}");
        }
        return bus;
    }

    [Fact]
    public async Task Publish_reaches_a_subscriber_and_request_gets_the_reply()
    {
        using var server = new NatsServerFixture();
        using var bus = await ConnectedAsync(server.Url);
        var got = new BlockingCollection<BusMessage>();
        using var sub = bus.Subscribe("test.echo", m =>
        {
            got.Add(m);
            if (m.ReplyTo is not null) bus.TryPublish(m.ReplyTo, Encoding.UTF8.GetBytes("pong:" + Encoding.UTF8.GetString(m.Data)));
        });

        Assert.True(bus.TryPublish("test.echo", "hello"u8.ToArray()));
        Assert.True(got.TryTake(out var first, TimeSpan.FromSeconds(10)));
        Assert.Equal("test.echo", first.Subject);
        Assert.Equal("hello", Encoding.UTF8.GetString(first.Data));
        Assert.Null(first.ReplyTo);

        var reply = await bus.RequestAsync("test.echo", "ping"u8.ToArray(), TimeSpan.FromSeconds(5));
        Assert.Equal("pong:ping", Encoding.UTF8.GetString(reply.Data));
    }

    [Fact]
    public async Task Large_payloads_and_many_small_ones_arrive_intact_and_in_order()
    {
        using var server = new NatsServerFixture();
        using var bus = await ConnectedAsync(server.Url);
        var got = new BlockingCollection<byte[]>();
        using var sub = bus.Subscribe("test.big", m => got.Add(m.Data));
        var big = new byte[200_000];
        new Random(7).NextBytes(big);
        Assert.True(bus.TryPublish("test.big", big));
        for (int i = 0; i < 500; i++) Assert.True(bus.TryPublish("test.big", BitConverter.GetBytes(i)));
        Assert.True(got.TryTake(out var first, TimeSpan.FromSeconds(10)));
        Assert.Equal(big, first);
        for (int i = 0; i < 500; i++)
        {
            Assert.True(got.TryTake(out var small, TimeSpan.FromSeconds(10)), $"message {i} missing");
            Assert.Equal(i, BitConverter.ToInt32(small));
        }
    }

    [Fact]
    public async Task A_throwing_handler_does_not_stop_its_subscription()
    {
        using var server = new NatsServerFixture();
        using var bus = await ConnectedAsync(server.Url);
        var got = new BlockingCollection<string>();
        using var sub = bus.Subscribe("test.throw", m =>
        {
            var text = Encoding.UTF8.GetString(m.Data);
            if (text == "bad") throw new InvalidOperationException("handler bug");
            got.Add(text);
        });
        bus.TryPublish("test.throw", "bad"u8.ToArray());
        bus.TryPublish("test.throw", "good"u8.ToArray());
        Assert.True(got.TryTake(out var text, TimeSpan.FromSeconds(10)));
        Assert.Equal("good", text);
        Assert.Contains("handler bug", bus.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_without_responder_times_out_as_TimeoutException()
    {
        using var server = new NatsServerFixture();
        using var bus = await ConnectedAsync(server.Url);
        await Assert.ThrowsAsync<TimeoutException>(() => bus.RequestAsync("test.nobody", "x"u8.ToArray(), TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Starts_before_the_server_and_connects_once_it_is_up()
    {
        using var server = new NatsServerFixture();
        server.Stop();
        using var bus = Create(server.Url);
        Assert.False(await bus.WaitUntilConnectedAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(BusState.Connecting, bus.State);
        Assert.False(bus.TryPublish("test.x", "x"u8.ToArray()));
        await Assert.ThrowsAsync<MessageBusUnavailableException>(() => bus.RequestAsync("test.x", "x"u8.ToArray(), TimeSpan.FromSeconds(1)));

        server.Start();
        Assert.True(await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), bus.LastError);
        Assert.True(bus.IsConnected, bus.LastError);
    }

    [Fact]
    public async Task Reconnects_after_an_outage_and_keeps_its_subscriptions()
    {
        using var server = new NatsServerFixture();
        using var bus = await ConnectedAsync(server.Url);
        var states = new ConcurrentQueue<BusState>();
        bus.StateChanged += states.Enqueue;
        var got = new BlockingCollection<string>();
        using var sub = bus.Subscribe("test.after", m => got.Add(Encoding.UTF8.GetString(m.Data)));

        server.Stop();
        await Waits.UntilAsync(() => bus.State == BusState.Disconnected, "the bus notices the outage");
        Assert.False(bus.IsConnected);
        server.Start();
        Assert.True(await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), bus.LastError);

        // a second, independent connection publishes: the first one's subscription must be back
        using var other = await ConnectedAsync(server.Url);
        Assert.True(other.TryPublish("test.after", "again"u8.ToArray()));
        Assert.True(other.Flush(TimeSpan.FromSeconds(5)));
        Assert.True(got.TryTake(out var text, TimeSpan.FromSeconds(10)), "subscription was not restored after reconnect");
        Assert.Equal("again", text);
        Assert.Equal([BusState.Disconnected, BusState.Connected], states.ToArray());
        Assert.Equal(2, bus.Connections);
    }

    [Fact]
    public async Task A_disposed_subscription_receives_nothing_more()
    {
        using var server = new NatsServerFixture();
        using var bus = await ConnectedAsync(server.Url);
        var got = new BlockingCollection<string>();
        var sub = bus.Subscribe("test.once", m => got.Add(Encoding.UTF8.GetString(m.Data)));
        using var marker = bus.Subscribe("test.marker", m => got.Add("marker"));
        bus.TryPublish("test.once", "1"u8.ToArray());
        Assert.True(got.TryTake(out var first, TimeSpan.FromSeconds(10)));
        Assert.Equal("1", first);

        sub.Dispose();
        bus.TryPublish("test.once", "2"u8.ToArray());
        bus.TryPublish("test.marker", "m"u8.ToArray());
        // messages on one connection arrive in order: once the marker is here, "2" would have been too
        Assert.True(got.TryTake(out var next, TimeSpan.FromSeconds(10)));
        Assert.Equal("marker", next);
        Assert.Empty(got);
    }

    [Fact]
    public async Task Dispose_closes_and_reports_closed()
    {
        using var server = new NatsServerFixture();
        var bus = await ConnectedAsync(server.Url);
        bus.Dispose();
        Assert.Equal(BusState.Closed, bus.State);
        Assert.False(bus.TryPublish("test.x", "x"u8.ToArray()));
    }
}

public sealed class NatsBusTests : MessageBusContractTests
{
    private protected override IMessageBus Create(string url) => TestBus.Create(url);
}
