using System.Globalization;
using Microsoft.Extensions.Configuration;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
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

    /// <param name="tape">true with <c>Feed:Tape</c>: the executor is refused (a tape's exits are history, not orders to send).</param>
    public static AlpacaTradingOptions? From(IConfiguration c, LiveServiceOptions live, bool tape = false)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(live);
        var url = c["Alpaca:TradingUrl"];
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new SettingsException($"Alpaca:TradingUrl: '{url}' is not an http(s):// address");
        // the base, as Alpaca documents it, with or without its /v2
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v2", StringComparison.OrdinalIgnoreCase)) path = path[..^3];
        uri = new UriBuilder(uri) { Path = path + "/" }.Uri;
        var reconcile = StreamerSettings.Number(c, "Alpaca:ReconcileSeconds", 60);
        if (reconcile < 0) throw new SettingsException("Alpaca:ReconcileSeconds: must be 0 (only at start) or more");
        var book = c["Alpaca:DefaultBook"] is { Length: > 0 } b ? b : live.DefaultBook;
        if (!live.Books.TryGet(book, out _))
            throw new SettingsException($"Alpaca:DefaultBook: unknown book '{book}' (known: {string.Join(", ", live.Books.Names.Order(StringComparer.Ordinal))})");
        var executor = c["Alpaca:Executor"] is { Length: > 0 } e
            ? bool.TryParse(e, out var on) ? on : throw new SettingsException($"Alpaca:Executor: '{e}' is not true or false")
            : false;
        if (executor && tape) throw new SettingsException("Alpaca:Executor: true with Feed:Tape would send orders for a tape's exits; use Alpaca:DataUrl (the emulator serves tapes) or turn the executor off");
        var retries = StreamerSettings.Number(c, "Alpaca:OrderRetries", 3);
        if (retries < 0 || retries != Math.Floor(retries) || retries > 100) throw new SettingsException("Alpaca:OrderRetries: must be a whole number, 0 to 100");
        var timeout = StreamerSettings.Number(c, "Alpaca:OrderTimeoutSeconds", 30);
        if (timeout <= 0) throw new SettingsException("Alpaca:OrderTimeoutSeconds: must be more than 0");
        var backoff = StreamerSettings.Number(c, "Alpaca:RetryBackoffSeconds", 1);
        if (backoff < 0) throw new SettingsException("Alpaca:RetryBackoffSeconds: must be 0 or more");
        var (orderType, slippage, slippageMax) = OrderPricing(c);
        var finalMarket = c["Alpaca:LimitFinalMarket"] is { Length: > 0 } fm
            ? bool.TryParse(fm, out var fmOn) ? fmOn : throw new SettingsException($"Alpaca:LimitFinalMarket: '{fm}' is not true or false")
            : true;
        var keys = AlpacaCredentials.FromEnvironment()
            ?? throw new SettingsException($"Alpaca:TradingUrl is set but {AlpacaCredentials.KeyIdVariable} / {AlpacaCredentials.SecretKeyVariable} are not (keys come only from the environment)");
        return new AlpacaTradingOptions
        {
            TradingUrl = uri,
            Credentials = keys,
            ReconcileInterval = TimeSpan.FromSeconds(reconcile),
            DefaultBook = book,
            Executor = executor,
            OrderRetries = (int)retries,
            OrderTimeout = TimeSpan.FromSeconds(timeout),
            RetryBackoff = TimeSpan.FromSeconds(backoff),
            OrderType = orderType,
            LimitSlippage = slippage,
            LimitSlippageMax = slippageMax,
            LimitFinalMarket = finalMarket,
        };
    }

    /// <summary><c>Alpaca:OrderType</c>, <c>Alpaca:LimitSlippage</c>, <c>Alpaca:LimitSlippageMax</c>: validated whatever the order type (a bad value is bad either way).</summary>
    internal static (ExitOrderType Type, decimal Slippage, decimal SlippageMax) OrderPricing(IConfiguration c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var orderType = c["Alpaca:OrderType"] is { Length: > 0 } ot
            ? ot.Trim().ToUpperInvariant() switch
            {
                "MARKET" => ExitOrderType.Market,
                "LIMIT" => ExitOrderType.Limit,
                _ => throw new SettingsException($"Alpaca:OrderType: '{ot}' is not market or limit"),
            }
            : ExitOrderType.Market;
        var slippage = StreamerSettings.Number(c, "Alpaca:LimitSlippage", (double)ExitLimitPricing.DefaultSlippage);
        if (slippage is < 0 or > 1) throw new SettingsException("Alpaca:LimitSlippage: must be a fraction of the exit's value, 0 to 1 (0.05 = 5 %)");
        var slippageMax = StreamerSettings.Number(c, "Alpaca:LimitSlippageMax", Math.Max((double)ExitLimitPricing.DefaultSlippageMax, slippage));
        if (slippageMax < slippage || slippageMax > 1)
            throw new SettingsException(string.Create(CultureInfo.InvariantCulture, $"Alpaca:LimitSlippageMax: must be at least Alpaca:LimitSlippage ({slippage}) and at most 1"));
        return (orderType, (decimal)slippage, (decimal)slippageMax);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"trading {TradingUrl}, reconcile every {ReconcileInterval.TotalSeconds} s, executor {(Executor ? "on" : "off")}{(Executor && OrderType == ExitOrderType.Limit ? $" (limit orders, slippage {LimitSlippage} up to {LimitSlippageMax})" : "")}, default book {DefaultBook}");
}
