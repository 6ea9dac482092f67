using System.Net.WebSockets;
using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Rules.Instruments;
using Streamer.Stream.Emulator;
using Streamer.Stream.Tests.Pipeline;

namespace Streamer.Stream.Tests.Emulator;

/// <summary>
/// The slow-client drop depends on kernel socket buffers filling while the emulator floods at full
/// speed: it runs alone (not beside CPU-heavy tests), or the reading client itself looks slow.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class EmulatorSlowClientTests
{
    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_and_the_others_keep_receiving()
    {
        await using var fast = new AlpacaEmulator(Tapes.Mixed(2000), new EmulatorOptions { Speed = 0, Loop = true, SlowClientTimeout = TimeSpan.FromSeconds(3) });
        await fast.StartAsync();
        var url = new Uri(fast.DataUrl, "/v2/iex");
        await using var stuck = await RawSocket.ConnectAsync(url, smallReceiveBuffer: true);
        await using var reader = await RawSocket.ConnectAsync(url);
        foreach (var (ws, subscribe) in new[] { (stuck, """{"action":"subscribe","trades":["*"],"quotes":["*"]}"""), (reader, """{"action":"subscribe","quotes":["SPY"]}""") })
        {
            await ws.ReceiveTextAsync();
            await ws.SendTextAsync("""{"action":"auth","key":"a","secret":"b"}""");
            await ws.ReceiveTextAsync();
            await ws.SendTextAsync(subscribe);
        }
        // "stuck" takes everything and never reads again; "reader" takes a little and keeps reading
        var deadline = Environment.TickCount64 + 60_000; // kernel socket buffers must fill first: slow on a loaded machine
        int frames = 0;
        var started = Environment.TickCount64;
        while (fast.SlowClientsDropped == 0)
        {
            Assert.True(Environment.TickCount64 < deadline,
                $"the stuck client was never dropped: the emulator sent {fast.MessagesSent} messages, the reader took {frames} frames in {Environment.TickCount64 - started} ms");
            await reader.ReceiveAsync();
            frames++;
        }
        var (type, _) = await reader.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Text, type); // still fed after the drop
        Assert.Equal(1, fast.SlowClientsDropped);
    }
}
