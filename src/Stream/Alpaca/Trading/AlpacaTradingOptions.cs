using System.Globalization;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Service;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// <c>Alpaca:TradingUrl</c> and what goes with it (docs/run.md, docs/alpaca.md): the trading REST base
/// (the <c>trade_updates</c> websocket is <c>{TradingUrl}/stream</c>), reconciliation, the executor.
/// Keys only from <c>APCA_API_KEY_ID</c>/<c>APCA_API_SECRET_KEY</c>. Null when no trading URL is set.
/// </summary>
public sealed record AlpacaTradingOptions
{
    public required Uri TradingUrl { get; init; }

    public required AlpacaCredentials Credentials { get; init; }

    /// <summary><c>Alpaca:ReconcileSeconds</c> (60): broker positions vs monitored ones; 0 = only at start.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>Alpaca:DefaultBook</c> (= <c>Intake:DefaultBook</c>): the book of an adopted position.</summary>
    public required string DefaultBook { get; init; }

    /// <summary><c>Alpaca:Executor</c> (false): turn each journaled exit into its closing order.</summary>
    public bool Executor { get; init; }

    /// <summary><c>Alpaca:OrderRetries</c> (3): attempts after the first when an order is refused or not filled in time.</summary>
    public int OrderRetries { get; init; } = 3;

    /// <summary><c>Alpaca:OrderTimeoutSeconds</c> (30): an exit order unfilled this long is canceled and retried.</summary>
    public TimeSpan OrderTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Alpaca:RetryBackoffSeconds</c> (1): the first retry's delay, doubled each time up to 30 s.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>Alpaca:OrderType</c> (<c>market</c>): <c>limit</c> sends each exit as a marketable limit priced from the exit's marks (<see cref="ExitLimitPricing"/>).</summary>
    public ExitOrderType OrderType { get; init; } = ExitOrderType.Market;

    /// <summary><c>Alpaca:LimitSlippage</c> (0.05): the first attempt's allowance as a fraction of the per-unit exit value (never less than one cent per attempt).</summary>
    public decimal LimitSlippage { get; init; } = ExitLimitPricing.DefaultSlippage;

    /// <summary><c>Alpaca:LimitSlippageMax</c> (0.25, or <c>LimitSlippage</c> when that is more): each retry doubles the fraction up to this.</summary>
    public decimal LimitSlippageMax { get; init; } = ExitLimitPricing.DefaultSlippageMax;

    /// <summary>
    /// <c>Alpaca:LimitFinalMarket</c> (true): with limit exits, the last attempt goes at market, so an
    /// exit that must happen (a stop) is not left open because no limit ever filled.
    /// </summary>
    public bool LimitFinalMarket { get; init; } = true;

    /// <summary>
    /// <c>Alpaca:BrokenSpreadPolicy</c>: a position a leg of which changed at the broker (closed alone, assigned) is
    /// closed in the journal at what happened and its remainder becomes a new position <c>&lt;id&gt;.rest</c> in
    /// <see cref="BrokenSpreadBook"/>; with <see cref="BrokenSpreadPolicy.Close"/> the executor's closing orders then take
    /// the remainder off too. Default: close with the executor, monitor without (nothing could send the orders).
    /// </summary>
    public BrokenSpreadPolicy BrokenSpreadPolicy { get; init; } = BrokenSpreadPolicy.Monitor;

    /// <summary><c>Alpaca:BrokenSpreadBook</c> (= <see cref="DefaultBook"/>): the remainder's book.</summary>
    public string BrokenSpreadBook { get; init; } = "";

    /// <param name="alpaca">the bound <c>Alpaca</c> section (its values already validated).</param>
    /// <param name="tape">true with <c>Feed:Tape</c>: the executor is refused (a tape's exits are history, not orders to send).</param>
    public static AlpacaTradingOptions? From(AlpacaOptions alpaca, LiveServiceOptions live, bool tape = false)
    {
        ArgumentNullException.ThrowIfNull(alpaca);
        ArgumentNullException.ThrowIfNull(live);
        if (alpaca.TradingUrl is not { } url) return null;
        var uri = new Uri(url, UriKind.Absolute);
        // the base, as Alpaca documents it, with or without its /v2
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v2", StringComparison.OrdinalIgnoreCase)) path = path[..^3];
        uri = new UriBuilder(uri) { Path = path + "/" }.Uri;
        var book = alpaca.DefaultBook ?? live.DefaultBook;
        if (!live.Books.TryGet(book, out _))
            throw new SettingsException($"Alpaca:DefaultBook: unknown book '{book}' (known: {string.Join(", ", live.Books.Names.Order(StringComparer.Ordinal))})");
        if (alpaca.Executor && tape) throw new SettingsException("Alpaca:Executor: true with Feed:Tape would send orders for a tape's exits; use Alpaca:DataUrl (the emulator serves tapes) or turn the executor off");
        var brokenBook = alpaca.BrokenSpreadBook ?? book;
        if (!live.Books.TryGet(brokenBook, out _))
            throw new SettingsException($"Alpaca:BrokenSpreadBook: unknown book '{brokenBook}' (known: {string.Join(", ", live.Books.Names.Order(StringComparer.Ordinal))})");
        var policy = alpaca.BrokenSpreadPolicy?.ToLowerInvariant() switch
        {
            null => alpaca.Executor ? BrokenSpreadPolicy.Close : BrokenSpreadPolicy.Monitor,
            "close" => BrokenSpreadPolicy.Close,
            _ => BrokenSpreadPolicy.Monitor,
        };
        if (policy == BrokenSpreadPolicy.Close && !alpaca.Executor)
            throw new SettingsException("Alpaca:BrokenSpreadPolicy: close needs Alpaca:Executor=true (the executor sends the closing orders); use monitor, or turn the executor on");
        var (orderType, slippage, slippageMax) = OrderPricing(alpaca);
        var keys = AlpacaCredentials.FromEnvironment()
            ?? throw new SettingsException($"Alpaca:TradingUrl is set but {AlpacaCredentials.KeyIdVariable} / {AlpacaCredentials.SecretKeyVariable} are not (keys come only from the environment)");
        return new AlpacaTradingOptions
        {
            TradingUrl = uri,
            Credentials = keys,
            ReconcileInterval = TimeSpan.FromSeconds(alpaca.ReconcileSeconds),
            DefaultBook = book,
            Executor = alpaca.Executor,
            OrderRetries = alpaca.OrderRetries,
            OrderTimeout = TimeSpan.FromSeconds(alpaca.OrderTimeoutSeconds),
            RetryBackoff = TimeSpan.FromSeconds(alpaca.RetryBackoffSeconds),
            OrderType = orderType,
            LimitSlippage = slippage,
            LimitSlippageMax = slippageMax,
            LimitFinalMarket = alpaca.LimitFinalMarket,
            BrokenSpreadPolicy = policy,
            BrokenSpreadBook = brokenBook,
        };
    }

    /// <summary><c>Alpaca:OrderType</c>, <c>Alpaca:LimitSlippage</c>, <c>Alpaca:LimitSlippageMax</c> as the executor prices with them (validated whatever the order type, by <see cref="AlpacaOptions.Validate"/>).</summary>
    internal static (ExitOrderType Type, decimal Slippage, decimal SlippageMax) OrderPricing(AlpacaOptions alpaca)
    {
        ArgumentNullException.ThrowIfNull(alpaca);
        return (alpaca.ExitOrderType, (decimal)alpaca.LimitSlippage, (decimal)alpaca.EffectiveLimitSlippageMax);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"trading {TradingUrl}, reconcile every {ReconcileInterval.TotalSeconds} s, executor {(Executor ? "on" : "off")}{(Executor && OrderType == ExitOrderType.Limit ? $" (limit orders, slippage {LimitSlippage} up to {LimitSlippageMax})" : "")}, default book {DefaultBook}, broken spreads: {(BrokenSpreadPolicy == BrokenSpreadPolicy.Close ? "close" : "monitor")} the rest (book {BrokenSpreadBook})");
}
