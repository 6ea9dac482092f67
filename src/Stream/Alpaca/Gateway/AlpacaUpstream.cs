using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;

namespace Streamer.Stream.Alpaca.Gateway;

/// <summary>
/// The one Alpaca market-data connection pair of the cluster (Alpaca allows one per account: error 406):
/// the production stream clients (stocks JSON, options MessagePack), each writing parsed ticks into its
/// own bounded channel, each channel pumped on its own thread into its own <see cref="TickPublisher"/>.
/// The clients reference-count symbols and resubscribe the whole set after a reconnect.
/// </summary>
internal sealed class AlpacaUpstream : IGatewayUpstream
{
    private readonly Channel<Tick> _stockTicks = Channel.CreateBounded<Tick>(new BoundedChannelOptions(65_536) { SingleReader = true, SingleWriter = true });
    private readonly Channel<Tick> _optionTicks = Channel.CreateBounded<Tick>(new BoundedChannelOptions(65_536) { SingleReader = true, SingleWriter = true });
    private int _stopped;

    public AlpacaUpstream(AlpacaStreamOptions template, string stockFeed, string optionsFeed, AlpacaCredentials credentials, SymbolTable symbols)
    {
        ArgumentNullException.ThrowIfNull(template);
        Stocks = new AlpacaStreamClient(template.For(AlpacaStreamKind.Stocks, stockFeed), credentials, symbols, _stockTicks.Writer);
        Options = new AlpacaStreamClient(template.For(AlpacaStreamKind.Options, optionsFeed), credentials, symbols, _optionTicks.Writer);
        Name = $"alpaca {template.DataUrl} (stocks {stockFeed}, options {optionsFeed})";
    }

    public string Name { get; }

    public AlpacaStreamClient Stocks { get; }

    public AlpacaStreamClient Options { get; }

    public Task SubscribeAsync(IReadOnlyList<string> symbols) => Change(symbols, subscribe: true);

    public Task UnsubscribeAsync(IReadOnlyList<string> symbols) => Change(symbols, subscribe: false);

    private Task Change(IReadOnlyList<string> symbols, bool subscribe)
    {
        var options = symbols.Where(s => OccSymbol.LooksLikeOption(s)).ToList();
        var stocks = symbols.Where(s => !OccSymbol.LooksLikeOption(s)).ToList();
        return Task.WhenAll(
            stocks.Count == 0 ? Task.CompletedTask : subscribe ? Stocks.SubscribeAsync(stocks) : Stocks.UnsubscribeAsync(stocks),
            options.Count == 0 ? Task.CompletedTask : subscribe ? Options.SubscribeAsync(options) : Options.UnsubscribeAsync(options));
    }

    public async Task RunAsync(Func<TickPublisher> newPublisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newPublisher);
        var pumps = Task.WhenAll(Pump(_stockTicks.Reader, newPublisher()), Pump(_optionTicks.Reader, newPublisher()));
        Stocks.Start();
        Options.Start();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => stopped.TrySetResult()))
            await Task.WhenAny(stopped.Task, Task.WhenAll(Stocks.Completion, Options.Completion)).ConfigureAwait(false);
        // the clients first (they write into the channels), then the channels: that ends the pumps
        await DisposeAsync().ConfigureAwait(false);
        await pumps.ConfigureAwait(false);
    }

    private static Task Pump(ChannelReader<Tick> reader, TickPublisher publisher) =>
        Task.Factory.StartNew(async () =>
        {
            // no token on the wait (a cancellable wait allocates per call): completing the channel ends the pump
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
                while (reader.TryRead(out var tick)) publisher.Publish(in tick);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await Stocks.DisposeAsync().ConfigureAwait(false);
        await Options.DisposeAsync().ConfigureAwait(false);
        _stockTicks.Writer.TryComplete();
        _optionTicks.Writer.TryComplete();
    }
}
