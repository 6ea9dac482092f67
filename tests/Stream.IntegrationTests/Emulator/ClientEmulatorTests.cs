using System.Collections.Concurrent;
using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// the production client against the emulator, over real websockets on 127.0.0.1
public sealed class ClientEmulatorTests
{
    private static readonly AlpacaCredentials Good = new("K", "S");

    private sealed class Harness : IAsyncDisposable
    {
        public required AlpacaStreamClient Client { get; init; }
        public required Channel<Tick> Ticks { get; init; }
        public required SymbolTable Symbols { get; init; }
        public ConcurrentQueue<AlpacaAlert> Alerts { get; } = new();
        public ConcurrentQueue<FeedState> States { get; } = new();

        public static Harness Start(Uri dataUrl, AlpacaStreamKind kind, AlpacaCredentials credentials, params string[] known)
        {
            var symbols = new SymbolTable();
            foreach (var s in known) symbols.Intern(s);
            var ticks = Channel.CreateBounded<Tick>(new BoundedChannelOptions(100_000) { SingleReader = true, SingleWriter = true });
            var client = new AlpacaStreamClient(new AlpacaStreamOptions
            {
                DataUrl = dataUrl,
                Kind = kind,
                Feed = kind == AlpacaStreamKind.Options ? "indicative" : "iex",
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(400),
                HandshakeTimeout = TimeSpan.FromSeconds(5),
            }, credentials, symbols, ticks.Writer);
            var h = new Harness { Client = client, Ticks = ticks, Symbols = symbols };
            client.Alert += h.Alerts.Enqueue;
            client.StateChanged += h.States.Enqueue;
            client.Start();
            return h;
        }

        public async Task<List<Tick>> TakeAsync(int count, int timeoutMs = 15_000)
        {
            var list = new List<Tick>();
            using var cts = new CancellationTokenSource(timeoutMs);
            while (list.Count < count) list.Add(await Ticks.Reader.ReadAsync(cts.Token));
            return list;
        }

        public async ValueTask DisposeAsync() => await Client.DisposeAsync();
    }

    private static async Task WaitUntil(Func<bool> condition, string what, int timeoutMs = 15_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Stock_ticks_arrive_with_the_tape_values()
    {
        var tape = Tapes.Mixed(100);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 200, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        await using var h = Harness.Start(emulator.DataUrl, AlpacaStreamKind.Stocks, Good, "AAPL");
        Assert.Equal(new Uri(emulator.DataUrl, "/v2/iex"), h.Client.Endpoint);
        await h.Client.SubscribeAsync(["AAPL"]);

        var expected = Tapes.For(tape, "AAPL"); // 100 quotes + 50 trades
        var got = await h.TakeAsync(expected.Count);
        int aapl = h.Symbols.Lookup("AAPL");
        Assert.All(got, t => Assert.Equal(aapl, t.SymbolId));
        // quotes and trades, values and times exactly as on the tape, in tape order
        Assert.Equal(expected.Select(e => (e.Time, e.Fields)), got.Select(t => (t.TimeNs, t.Fields)));
        for (int i = 0; i < got.Count; i++)
        {
            if (got[i].HasQuote) Assert.Equal((expected[i].Bid, expected[i].Ask), (got[i].Bid, got[i].Ask));
            else Assert.Equal(expected[i].Last, got[i].Last);
        }
        Assert.Equal(FeedState.Live, h.Client.State);
        Assert.Equal(1, h.Client.Sessions);
        await WaitUntil(() => h.Client.SubscribedQuotes.Contains("AAPL"), "the subscription reply");
        Assert.Equal(["AAPL"], h.Client.SubscribedTrades);
        Assert.Equal(0, h.Client.Parser.MalformedMessages + h.Client.Parser.MalformedFrames);
    }

    [Fact]
    public async Task Option_ticks_arrive_over_messagepack()
    {
        var tape = Tapes.Mixed(40);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 200 });
        await emulator.StartAsync();
        await using var h = Harness.Start(emulator.DataUrl, AlpacaStreamKind.Options, new AlpacaCredentials("any", "pair"), Tapes.Call, Tapes.Put);
        await h.Client.SubscribeAsync([Tapes.Call, Tapes.Put]);

        var got = await h.TakeAsync(80);
        var call = got.Where(t => t.SymbolId == h.Symbols.Lookup(Tapes.Call)).ToList();
        var expected = Tapes.For(tape, Tapes.Call);
        Assert.Equal(40, call.Count);
        Assert.Equal(expected.Select(e => (e.Time, e.Bid, e.Ask)), call.Select(t => (t.TimeNs, t.Bid, t.Ask)));
        Assert.Equal(40, got.Count(t => t.SymbolId == h.Symbols.Lookup(Tapes.Put)));
        Assert.DoesNotContain(got, t => h.Symbols.Lookup("AAPL") != 0 && t.SymbolId == h.Symbols.Lookup("AAPL"));
    }

    [Fact]
    public async Task Wrong_keys_get_402_and_the_client_gives_up()
    {
        await using var emulator = new AlpacaEmulator(Tapes.Mixed(10), new EmulatorOptions { Speed = 200, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        await using var h = Harness.Start(emulator.DataUrl, AlpacaStreamKind.Stocks, new AlpacaCredentials("K", "nope"), "AAPL");
        await h.Client.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(402, h.Client.GaveUp?.Code);
        Assert.Equal(AlpacaAlertKind.GaveUp, h.Client.GaveUp?.Kind);
        Assert.Equal(FeedState.Down, h.Client.State);
        Assert.Equal(0, h.Client.Sessions);
        Assert.Contains(h.Alerts, a => a.Kind == AlpacaAlertKind.GaveUp && a.Code == 402);
        Assert.DoesNotContain("nope", string.Join('\n', h.Alerts), StringComparison.Ordinal); // the secret never shows
    }

    [Fact]
    public async Task A_client_that_never_authenticates_is_timed_out_and_retries()
    {
        // the emulator's auth window shorter than the client's handshake: the client sees 404 and tries again
        await using var emulator = new AlpacaEmulator(Tapes.Mixed(10), new EmulatorOptions { Speed = 200, AuthTimeout = TimeSpan.Zero });
        await emulator.StartAsync();
        await using var h = Harness.Start(emulator.DataUrl, AlpacaStreamKind.Stocks, Good, "AAPL");
        await WaitUntil(() => h.Alerts.Count(a => a.Code == 404) >= 2, "two auth timeouts");
        Assert.Null(h.Client.GaveUp);
        Assert.False(h.Client.Completion.IsCompleted);
    }

    [Fact]
    public async Task Emulator_restart_mid_stream_the_client_reconnects_resubscribes_and_keeps_receiving()
    {
        var tape = Tapes.Mixed(200);
        var first = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 20, Loop = true });
        await first.StartAsync();
        int port = first.Port;
        await using var h = Harness.Start(first.DataUrl, AlpacaStreamKind.Stocks, Good, "AAPL", "SPY");
        await h.Client.SubscribeAsync(["AAPL", "SPY"]);
        await h.TakeAsync(20);

        await first.StopAsync();
        await WaitUntil(() => h.Client.State != FeedState.Live, "the drop to be noticed");
        while (h.Ticks.Reader.TryRead(out _)) { } // what was in flight before the stop

        await using var second = new AlpacaEmulator(tape, new EmulatorOptions { Port = port, Speed = 20, Loop = true });
        await second.StartAsync();
        var after = await h.TakeAsync(20);
        Assert.Equal(2, h.Client.Sessions);
        Assert.Equal(FeedState.Live, h.Client.State);
        // the second emulator only streams what the client asked it for: the resubscription happened
        var asked = new[] { h.Symbols.Lookup("AAPL"), h.Symbols.Lookup("SPY") };
        Assert.All(after, t => Assert.Contains(t.SymbolId, asked));
        Assert.Contains(after, t => t.SymbolId == asked[1]);
        await WaitUntil(() => h.Client.SubscribedQuotes.Count == 2, "the resubscription reply");
        Assert.Contains(h.States, s => s == FeedState.Down);
        Assert.Contains(h.Alerts, a => a.Kind == AlpacaAlertKind.Disconnected);
    }

    [Fact]
    public async Task Symbol_limit_raises_an_alert_naming_the_symbols_not_subscribed()
    {
        await using var emulator = new AlpacaEmulator(Tapes.Mixed(10), new EmulatorOptions { Speed = 200, SymbolLimit = 2 });
        await emulator.StartAsync();
        await using var h = Harness.Start(emulator.DataUrl, AlpacaStreamKind.Stocks, Good, "AAPL", "SPY");
        await h.Client.SubscribeAsync(["AAPL"]);
        await WaitUntil(() => h.Client.SubscribedQuotes.Count == 1, "the first subscription");
        await h.Client.SubscribeAsync(["SPY", "QQQ"]);
        await WaitUntil(() => h.Alerts.Any(a => a.Kind == AlpacaAlertKind.SymbolLimit), "the 405 alert");
        var alert = h.Alerts.First(a => a.Kind == AlpacaAlertKind.SymbolLimit);
        Assert.Equal(405, alert.Code);
        Assert.Equal(["QQQ", "SPY"], alert.Symbols.Order());
        Assert.Equal(["AAPL"], h.Client.SubscribedQuotes);
        Assert.Equal(FeedState.Live, h.Client.State); // a 405 is not a reason to drop the connection
    }

    [Fact]
    public async Task Subscriptions_are_reference_counted()
    {
        await using var emulator = new AlpacaEmulator(Tapes.Mixed(10), new EmulatorOptions { Speed = 200 });
        await emulator.StartAsync();
        await using var h = Harness.Start(emulator.DataUrl, AlpacaStreamKind.Stocks, Good, "AAPL", "SPY");
        await WaitUntil(() => h.Client.State == FeedState.Live, "live");
        await h.Client.SubscribeAsync(["AAPL", "SPY"]);
        await h.Client.SubscribeAsync(["AAPL"]); // a second position on AAPL
        await WaitUntil(() => h.Client.SubscribedQuotes.Count == 2, "both subscribed");

        await h.Client.UnsubscribeAsync(["AAPL", "SPY"]);
        await WaitUntil(() => h.Client.SubscribedQuotes.Count == 1, "SPY unsubscribed");
        Assert.Equal(["AAPL"], h.Client.SubscribedQuotes);
        Assert.Equal(["AAPL"], h.Client.DesiredSymbols);

        await h.Client.UnsubscribeAsync(["AAPL"]);
        await WaitUntil(() => h.Client.SubscribedQuotes.Count == 0, "AAPL unsubscribed");
        Assert.Empty(h.Client.DesiredSymbols);
    }

    [Fact]
    public async Task A_quiet_feed_turns_stale_and_live_again_when_data_returns()
    {
        var tape = Tapes.Mixed(5);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 200 });
        await emulator.StartAsync();
        var symbols = new SymbolTable();
        symbols.Intern("AAPL");
        var ticks = Channel.CreateUnbounded<Tick>();
        await using var client = new AlpacaStreamClient(new AlpacaStreamOptions
        {
            DataUrl = emulator.DataUrl,
            StaleAfter = TimeSpan.FromMilliseconds(300),
        }, Good, symbols, ticks.Writer);
        client.Start();
        await client.SubscribeAsync(["AAPL"]);
        await WaitUntil(() => emulator.TapeFinished, "the tape to end");
        await WaitUntil(() => client.State == FeedState.Stale, "stale");

        // any frame (here a subscription reply) proves the connection alive again
        await client.SubscribeAsync(["SPY"]);
        await WaitUntil(() => client.State == FeedState.Live, "live again");
    }
}
