using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// An alert raised while NATS is away (at start, before the first connection; in an outage) is
/// held back and goes out, in order, when the bus connects. A JetStream stream on the alert
/// subjects records what the server got, whoever connects first after the restart.
/// </summary>
public sealed class AlertHeldBackTests
{
    [Fact]
    public async Task Alerts_raised_before_the_first_connection_go_out_in_order_once_it_is_up()
    {
        using var server = new NatsServerFixture();
        using (var admin = await TestBus.ConnectedAsync(server.Url))
            await new JetStreamClient(admin).EnsureStreamAsync(new JetStreamStreamSpec("ALERTS_SEEN", ["streamer.alerts.>"]));
        server.Stop();

        using var bus = TestBus.Create(server.Url);
        var alerts = new AlertPublisher(bus, TimeProvider.System, NullLogger<AlertPublisher>.Instance);
        Assert.False(alerts.Raise("order_failed", "first", "a"));
        Assert.False(alerts.Raise("feed_down", "second", "b"));
        Assert.False(alerts.Raise("order_failed", "third", "c"));
        Assert.False(alerts.Raise("order_failed", "first again", "a")); // inside the repeat window: logged only
        Assert.Equal(3, alerts.HeldBack);

        server.Start();
        Assert.True(await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), bus.LastError);
        await Waits.UntilAsync(() => alerts.HeldBack == 0, "the held-back alerts sent");
        Assert.True(alerts.Raise("order_failed", "fourth", "d")); // connected, nothing waiting: straight out
        Assert.True(bus.Flush(TimeSpan.FromSeconds(5)));

        using var reader = await TestBus.ConnectedAsync(server.Url);
        var seen = await JetStreamReader.ReadFromStartAsync(new JetStreamClient(reader), "ALERTS_SEEN", null, TimeSpan.FromSeconds(5));
        Assert.Equal(
            [("streamer.alerts.order_failed", "first"), ("streamer.alerts.feed_down", "second"), ("streamer.alerts.order_failed", "third"), ("streamer.alerts.order_failed", "fourth")],
            seen.Select(m => (m.Subject, JsonDocument.Parse(m.Data).RootElement.GetProperty("message").GetString())));
        Assert.Equal(0, alerts.DroppedWhileAway);
    }

    [Fact]
    public void More_than_the_limit_while_away_keeps_the_newest_and_counts_the_rest()
    {
        using var server = new NatsServerFixture();
        server.Stop();
        using var bus = TestBus.Create(server.Url);
        var alerts = new AlertPublisher(bus, TimeProvider.System, NullLogger<AlertPublisher>.Instance);
        for (int i = 0; i < AlertPublisher.HeldBackLimit + 10; i++) alerts.Raise("feed_down", $"n{i}", $"k{i}");
        Assert.Equal(AlertPublisher.HeldBackLimit, alerts.HeldBack);
        Assert.Equal(10, alerts.DroppedWhileAway);
    }
}
