using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// The alert rules where time and connection state matter, on a fake clock and an in-memory bus
/// (the real-server side is AlertHeldBackTests): one alert per kind and key per 30 s window, the
/// window measured on the service's clock; alerts raised while NATS is away go out in order on connect.
/// </summary>
public sealed class AlertPublisherTests
{
    [Fact]
    public void A_repeat_inside_the_window_is_logged_only_and_goes_out_again_once_the_window_has_passed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 14, 30, 0, TimeSpan.Zero));
        var bus = new RecordingBus { Connected = true };
        var alerts = new AlertPublisher(bus, time, NullLogger<AlertPublisher>.Instance);

        Assert.True(alerts.Raise("stale_feed", "SPY quiet", "SPY"));
        Assert.True(alerts.Raise("stale_feed", "QQQ quiet", "QQQ")); // another key: its own window
        time.Advance(TimeSpan.FromSeconds(29.9));
        Assert.False(alerts.Raise("stale_feed", "SPY still quiet", "SPY"));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(alerts.Raise("stale_feed", "SPY quiet again", "SPY"));

        Assert.Equal(["SPY quiet", "QQQ quiet", "SPY quiet again"], bus.Sent.Select(Message));
        Assert.All(bus.Sent, m => Assert.Equal("streamer.alerts.stale_feed", m.Subject));
        // stamped with the service's clock, not the machine's
        Assert.Equal("2026-12-03T14:30:30Z", JsonDocument.Parse(bus.Sent[^1].Data).RootElement.GetProperty("time").GetString());
    }

    [Fact]
    public void Alerts_raised_while_NATS_is_away_go_out_in_order_when_it_connects_and_new_ones_queue_behind_them()
    {
        var bus = new RecordingBus { Connected = false };
        var alerts = new AlertPublisher(bus, new FakeTimeProvider(), NullLogger<AlertPublisher>.Instance);
        Assert.False(alerts.Raise("order_failed", "one", "1"));
        Assert.False(alerts.Raise("feed_down", "two", "2"));
        Assert.Empty(bus.Sent);
        Assert.Equal(2, alerts.HeldBack);

        bus.Connect();
        Assert.Equal(["one", "two"], bus.Sent.Select(Message));
        Assert.Equal(0, alerts.HeldBack);
        Assert.True(alerts.Raise("order_failed", "three", "3"));
        Assert.Equal(["one", "two", "three"], bus.Sent.Select(Message));
    }

    [Fact]
    public void A_publish_refused_mid_queue_keeps_the_rest_in_order_for_the_next_connect()
    {
        var bus = new RecordingBus { Connected = false };
        var alerts = new AlertPublisher(bus, new FakeTimeProvider(), NullLogger<AlertPublisher>.Instance);
        alerts.Raise("a", "one", "1");
        alerts.Raise("a", "two", "2");
        alerts.Raise("a", "three", "3");
        bus.RefuseAfter = 1; // connection lost again after one publish
        bus.Connect();
        Assert.Equal(["one"], bus.Sent.Select(Message));
        Assert.Equal(2, alerts.HeldBack);
        bus.RefuseAfter = int.MaxValue;
        bus.Connect();
        Assert.Equal(["one", "two", "three"], bus.Sent.Select(Message));
    }

    private static string Message(BusMessage m) => JsonDocument.Parse(m.Data).RootElement.GetProperty("message").GetString()!;

    /// <summary>publishes recorded; connection state set by the test, <see cref="Connect"/> raising StateChanged as the real bus does.</summary>
    private sealed class RecordingBus : IMessageBus
    {
        public bool Connected { get; set; }

        public int RefuseAfter { get; set; } = int.MaxValue;

        public List<BusMessage> Sent { get; } = [];

        public void Connect()
        {
            Connected = true;
            StateChanged?.Invoke(BusState.Connected);
        }

        public BusState State => Connected ? BusState.Connected : BusState.Disconnected;

        public bool IsConnected => Connected;

        public string? LastError => null;

        public int Connections => 0;

        public event Action<BusState>? StateChanged;

        public event Action<string>? Problem { add { } remove { } }

        public bool TryPublish(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null)
        {
            if (!Connected) return false;
            if (RefuseAfter-- <= 0)
            {
                Connected = false;
                return false;
            }
            Sent.Add(new BusMessage(subject, replyTo, payload.ToArray()));
            return true;
        }

        public Task<bool> WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default) => Task.FromResult(Connected);

        public Task<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public IDisposable Subscribe(string subject, Action<BusMessage> handler) => throw new NotSupportedException();

        public Task<IAsyncDisposable> ServeAsync(ServiceDescription service, IReadOnlyList<ServiceEndpoint> endpoints, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public bool Flush(TimeSpan timeout) => true;

        public void Dispose()
        {
        }
    }
}
