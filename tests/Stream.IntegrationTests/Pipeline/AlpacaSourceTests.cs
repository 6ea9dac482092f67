using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Emulator;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>Live market data: the production Alpaca client against the in-repo emulator over real websockets on 127.0.0.1, into the pipeline.</summary>
[Collection(PipelineCollection.Name)]
public sealed class AlpacaSourceTests
{
    [Fact]
    public async Task Ticks_from_the_alpaca_stream_reach_the_shards_and_fire_a_price_rule()
    {
        // AAPL walks from 200.00 down to 197.01 over 3 s of tape (10 ms steps), on a Wednesday session
        var tapeSymbols = new SymbolTable();
        int aapl = tapeSymbols.Intern("AAPL");
        long t0 = Ticks.At("2026-01-21T15:00:00Z");
        var ticks = Enumerable.Range(0, 300).Select(k => Tick.Quote(t0 + k * 10_000_000L, aapl, 200 - k * 0.01, 200.02 - k * 0.01)).ToList();
        await using var emulator = new AlpacaEmulator(EmulatorTape.FromTicks(tapeSymbols, ticks), new EmulatorOptions { Speed = 1, Key = "K", Secret = "S" });
        await emulator.StartAsync();

        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        // a book with only a price rule: the wall clock (today) and the tape's January times never meet in a time rule
        var books = BookSet.Parse("books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n", "test books");
        var states = new List<FeedStatus>();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Wall }, symbols, books, target);
        using var _ = pipeline.FeedStatus.Subscribe(s => { lock (states) states.Add(s); });
        pipeline.Start();
        var spec = Ticks.Position("""{ "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] }""");
        Assert.Null(await pipeline.AddPositionAsync(spec));

        await using var alpaca = new AlpacaTickSource(new AlpacaStreamOptions
        {
            DataUrl = emulator.DataUrl,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(400),
            HandshakeTimeout = TimeSpan.FromSeconds(5),
        }, "iex", "indicative", new AlpacaCredentials("K", "S"), symbols);
        var running = pipeline.RunSourceAsync(alpaca);
        await alpaca.SubscribeAsync(spec);

        await Waits.UntilAsync(() => target.Exits.Count == 1, "the stop fires from streamed ticks", TimeSpan.FromSeconds(30));
        var exit = target.Exits[0];
        Assert.Equal("AAPL-1:1", exit.Id);
        Assert.Contains("\"rule\":\"underlying_stop\"", Demo.Text(exit.Payload), StringComparison.Ordinal);
        // decided on the first quote whose mid (200.01 − 0.01 k) is at or under 198.00: step 201, at its exchange time
        Assert.Equal(t0 + 201 * 10_000_000L, exit.DecidedAtNs);
        Assert.True(pipeline.Status().TicksProcessed > 0);
        lock (states) Assert.Contains(FeedStatus.Live, states);
        await pipeline.StopAsync();
        await running;
    }
}
