using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Tests.Infrastructure;

internal static class TestBus
{
    /// <summary>a bus with short reconnect and health intervals so outage tests finish quickly.</summary>
    public static NatsBus Create(string url) => new(new NatsBusOptions
    {
        Url = url,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        HealthInterval = TimeSpan.FromMilliseconds(100),
        HealthTimeout = TimeSpan.FromSeconds(3),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    public static async Task<NatsBus> ConnectedAsync(string url)
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

    /// <summary>Until a request on <paramref name="subject"/> is answered (a service that subscribes in the background once connected).</summary>
    public static async Task UntilAnsweredAsync(IMessageBus bus, string subject, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await bus.RequestAsync(subject, "{}"u8.ToArray(), TimeSpan.FromMilliseconds(500));
                return;
            }
            catch (Exception e) when (e is TimeoutException or MessageBusUnavailableException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
