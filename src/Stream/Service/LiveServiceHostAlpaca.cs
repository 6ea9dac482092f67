using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Service;

/// <summary>
/// Alpaca market data for <c>streamer run</c>: one stocks client (<c>/v2/{Alpaca:Feed}</c>) and one
/// options client (<c>/v1beta1/{Alpaca:OptionsFeed}</c>) writing into one channel the pipeline reads.
/// Subscriptions follow the monitored positions: a position adds its underlying and stock legs to the
/// stocks stream and its option legs to the options stream; removing it releases them (the clients
/// reference-count symbols shared by several positions).
/// </summary>
internal sealed class AlpacaFeed : IAsyncDisposable
{
    private readonly Channel<Tick> _ticks = Channel.CreateBounded<Tick>(new BoundedChannelOptions(65_536)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly AlpacaStreamClient _stocks;
    private readonly AlpacaStreamClient _options;
    private readonly Dictionary<string, (string[] Stocks, string[] Options)> _tracked = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private FeedState _stocksState = FeedState.Connecting;
    private FeedState _optionsState = FeedState.Connecting;

    public AlpacaFeed(AlpacaFeedOptions options, SymbolTable symbols, AlertPublisher alerts)
    {
        Source = new ChannelTickSource(_ticks.Reader, "alpaca " + options.DataUrl);
        _stocks = new AlpacaStreamClient(new AlpacaStreamOptions { DataUrl = options.DataUrl, Kind = AlpacaStreamKind.Stocks, Feed = options.Feed }, options.Credentials, symbols, _ticks.Writer);
        _options = new AlpacaStreamClient(new AlpacaStreamOptions { DataUrl = options.DataUrl, Kind = AlpacaStreamKind.Options, Feed = options.OptionsFeed }, options.Credentials, symbols, _ticks.Writer);
        foreach (var c in (ReadOnlySpan<AlpacaStreamClient>)[_stocks, _options])
        {
            var client = c;
            client.StateChanged += s => OnState(client, s);
            client.Alert += a => alerts.Raise(a.Kind == AlpacaAlertKind.Disconnected || a.Kind == AlpacaAlertKind.GaveUp ? AlertPublisher.Kinds.FeedDown : AlertPublisher.Kinds.RejectedInput,
                $"{client.Endpoint}: {a}", client.Endpoint + "|" + a.Kind);
        }
    }

    /// <summary>What the pipeline runs: the ticks both clients parse.</summary>
    public ChannelTickSource Source { get; }

    public void Start()
    {
        _stocks.Start();
        _options.Start();
    }

    public void Track(PositionSpec spec)
    {
        var stocks = new List<string> { spec.Underlying };
        var options = new List<string>();
        foreach (var leg in spec.Legs)
        {
            if (OccSymbol.LooksLikeOption(leg.Symbol)) options.Add(leg.Symbol);
            else if (!stocks.Contains(leg.Symbol)) stocks.Add(leg.Symbol);
        }
        lock (_gate)
        {
            if (!_tracked.TryAdd(spec.Id, ([.. stocks], [.. options]))) return;
        }
        _ = _stocks.SubscribeAsync(stocks);
        if (options.Count > 0) _ = _options.SubscribeAsync(options);
    }

    public void Untrack(string positionId)
    {
        (string[] Stocks, string[] Options) symbols;
        lock (_gate)
        {
            if (!_tracked.Remove(positionId, out symbols)) return;
        }
        _ = _stocks.UnsubscribeAsync(symbols.Stocks);
        if (symbols.Options.Length > 0) _ = _options.UnsubscribeAsync(symbols.Options);
    }

    private void OnState(AlpacaStreamClient client, FeedState state)
    {
        FeedStatus combined;
        lock (_gate)
        {
            if (client == _stocks) _stocksState = state;
            else _optionsState = state;
            // the stocks stream carries every underlying: it decides; the options stream only adds "down"
            combined = (FeedStatus)(byte)(_optionsState == FeedState.Down && _stocksState == FeedState.Live ? FeedState.Stale : _stocksState);
        }
        Source.Report(combined);
    }

    public async ValueTask DisposeAsync()
    {
        await _stocks.DisposeAsync().ConfigureAwait(false);
        await _options.DisposeAsync().ConfigureAwait(false);
        _ticks.Writer.TryComplete();
    }
}
