using System.Collections.Concurrent;
using System.Text.Json;
using Streamer.Stream.Emulator;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// The market-data server goes away mid-session and comes back: <c>streamer run</c> says the feed is
/// down, reconnects, subscribes the positions' symbols again and fires every exit the new quotes call for.
/// </summary>
public sealed class AlpacaReconnectRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_emulator_dropped_and_restored_mid_session_the_service_resubscribes_and_misses_no_exit()
    {
        long t0 = Streamer.Rules.Time.NanoTime.ParseRfc3339("2026-01-21T15:00:00Z");
        // before the drop AAPL never reaches either stop; after it, the quotes cross both
        var first = new AlpacaEmulator(RunTestData.AaplRamp(t0, 200.00, 199.00, 100), new EmulatorOptions { Speed = 1, Key = "K", Secret = "S" });
        await first.StartAsync();
        int port = first.Port;
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), """
            { "positions": [
              { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.50, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] },
              { "id": "AAPL-2", "book": "stop_only", "stop_underlying": 197.50, "legs": [ { "symbol": "AAPL", "qty": 10, "entry_price": 200 } ] } ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        var alerts = new ConcurrentQueue<JsonElement>();
        using var alertSub = bus.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));
        var beats = new ConcurrentQueue<JsonElement>();
        using var beatSub = bus.Subscribe(NatsSubjects.Heartbeat, m => beats.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        using var service = StreamerProcess.Start(dir.Path, new Dictionary<string, string> { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" },
            "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", "--Heartbeat:IntervalSeconds=0.5",
            $"--Alpaca:DataUrl={first.DataUrl}", "--Alpaca:MarketClockSpeed=1", $"--Positions:File={dir.File("positions.json")}", $"--Books:File={dir.File("books.yaml")}");
        try
        {
            await Waits.UntilAsync(() => beats.Any(b => b.GetProperty("ticks_total").GetInt64() >= 50) || service.HasExited, "quotes from the first emulator", Long);
            Assert.Equal(0, exits.Count);

            await first.StopAsync();   // every connection aborted, as a crash would
            await first.DisposeAsync();
            await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "feed_down") || service.HasExited, "a feed_down alert", Long);

            // the server is back on the same address with the next minutes of the day
            await using var second = new AlpacaEmulator(RunTestData.AaplRamp(t0 + 3_600_000_000_000L, 199.00, 197.00, 200), new EmulatorOptions { Port = port, Speed = 1, Key = "K", Secret = "S" });
            await second.StartAsync();
            await Waits.UntilAsync(() => exits.Count >= 2 || service.HasExited, "both stops on the second emulator's quotes", Long);
            Assert.False(service.HasExited, service.Output);

            var decided = exits.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement).ToList();
            Assert.Equal(["AAPL-1:1", "AAPL-2:1"], decided.Select(e => e.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
            Assert.All(decided, e => Assert.Equal("underlying_stop", e.GetProperty("rule").GetString()));
            Assert.True(decided.Single(e => e.GetProperty("id").GetString() == "AAPL-2:1").GetProperty("underlying_price").GetDouble() <= 197.5);
            Assert.True(second.MessagesSent > 0); // the second server streamed: the service subscribed again
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
            Assert.Equal(2, exits.Count);
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            throw new InvalidOperationException($"{e.Message}\nservice output:\n{service.Output}", e);
        }
    }
}
