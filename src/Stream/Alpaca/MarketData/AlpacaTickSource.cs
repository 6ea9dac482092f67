using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Alpaca.MarketData;

/// <summary>
/// Live market data from Alpaca: one stream client for stocks (JSON) and one for options
/// (MessagePack), each writing parsed ticks into its own bounded channel, pumped into the pipeline
/// (<see cref="ChannelTickSource"/>). Subscriptions follow the positions (<see cref="SubscribeAsync"/>
/// on add, <see cref="UnsubscribeAsync"/> on remove; the clients reference-count symbols). The
/// clients' states map one to one onto <see cref="FeedStatus"/>; their alerts (symbol limit, gave
/// up, server errors) are raised through <see cref="Alert"/>.
/// </summary>
internal sealed class AlpacaTickSource : IMarketDataFeed, IFeedStreams
{
    private readonly AlpacaStreamClient _stocks;
    private readonly AlpacaStreamClient _options;
    private readonly Channel<Tick> _stockTicks;
    private readonly Channel<Tick> _optionTicks;
    private readonly ChannelTickSource _stockPump;
    private readonly ChannelTickSource _optionPump;

    /// <param name="template">endpoint, backoff, stale settings; Kind and Feed are set per client.</param>
    public AlpacaTickSource(AlpacaStreamOptions template, string stockFeed, string optionsFeed, AlpacaCredentials credentials, SymbolTable symbols, int channelCapacity = 65_536)
    {
        ArgumentNullException.ThrowIfNull(template);
        _stockTicks = Channel.CreateBounded<Tick>(new BoundedChannelOptions(channelCapacity) { SingleReader = true, SingleWriter = true });
        _optionTicks = Channel.CreateBounded<Tick>(new BoundedChannelOptions(channelCapacity) { SingleReader = true, SingleWriter = true });
        _stocks = new AlpacaStreamClient(template.For(AlpacaStreamKind.Stocks, stockFeed), credentials, symbols, _stockTicks.Writer);
        _options = new AlpacaStreamClient(template.For(AlpacaStreamKind.Options, optionsFeed), credentials, symbols, _optionTicks.Writer);
        _stockName = "stocks " + stockFeed;
        _optionName = "options " + optionsFeed;
        _stockPump = new ChannelTickSource(_stockTicks.Reader, "alpaca stocks " + stockFeed);
        _optionPump = new ChannelTickSource(_optionTicks.Reader, "alpaca options " + optionsFeed);
        _stocks.StateChanged += s => _stockPump.Report(Map(s));
        _options.StateChanged += s => _optionPump.Report(Map(s));
        _stocks.Alert += Raise;
        _options.Alert += Raise;
    }

    public string Name => "alpaca";

    private readonly string _stockName = "";
    private readonly string _optionName = "";

    public IReadOnlyList<(string Name, FeedStatus State)> Streams => [(_stockName, Map(_stocks.State)), (_optionName, Map(_options.State))];

    /// <summary>the clients' alerts as they came (tests, diagnostics); <see cref="Alert"/> carries them to the service.</summary>
    public event Action<AlpacaAlert>? AlpacaAlert;

    public event Action<FeedAlert>? Alert;

    private void Raise(AlpacaAlert a)
    {
        AlpacaAlert?.Invoke(a);
        Alert?.Invoke(new FeedAlert(a.Kind is AlpacaAlertKind.GaveUp or AlpacaAlertKind.Disconnected, "alpaca: " + a, a.Kind.ToString()));
    }

    public AlpacaStreamClient Stocks => _stocks;

    public AlpacaStreamClient Options => _options;

    public static FeedStatus Map(FeedState state) => state switch
    {
        FeedState.Connecting => FeedStatus.Connecting,
        FeedState.Live => FeedStatus.Live,
        FeedState.Stale => FeedStatus.Stale,
        _ => FeedStatus.Down,
    };

    /// <summary>Subscribes quotes and trades for the position's underlying and legs.</summary>
    public Task SubscribeAsync(PositionSpec spec) => Change(spec, subscribe: true);

    public Task UnsubscribeAsync(PositionSpec spec) => Change(spec, subscribe: false);

    private Task Change(PositionSpec spec, bool subscribe)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var stocks = new List<string> { spec.Underlying };
        var options = new List<string>();
        foreach (var leg in spec.Legs)
        {
            if (OccSymbol.LooksLikeOption(leg.Symbol)) options.Add(leg.Symbol);
            else if (!stocks.Contains(leg.Symbol)) stocks.Add(leg.Symbol);
        }
        return Task.WhenAll(
            subscribe ? _stocks.SubscribeAsync(stocks) : _stocks.UnsubscribeAsync(stocks),
            options.Count == 0 ? Task.CompletedTask : subscribe ? _options.SubscribeAsync(options) : _options.UnsubscribeAsync(options));
    }

    public async Task RunAsync(TickIngress ingress, FeedMonitor feed, CancellationToken cancellationToken)
    {
        var pumps = Task.WhenAll(_stockPump.RunAsync(ingress, feed, cancellationToken), _optionPump.RunAsync(ingress, feed, cancellationToken));
        _stocks.Start();
        _options.Start();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => stopped.TrySetResult()))
        {
            // until the pipeline stops, or both clients stop for good (gave up)
            await Task.WhenAny(stopped.Task, Task.WhenAll(_stocks.Completion, _options.Completion)).ConfigureAwait(false);
        }
        // the clients first (they write into the channels), then the channels: that ends the pumps
        await StopClientsAsync().ConfigureAwait(false);
        await pumps.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(StopClientsAsync());

    private async Task StopClientsAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await _stocks.DisposeAsync().ConfigureAwait(false);
        await _options.DisposeAsync().ConfigureAwait(false);
        _stockTicks.Writer.TryComplete();
        _optionTicks.Writer.TryComplete();
    }

    private int _stopped;
}
