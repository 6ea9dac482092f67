using System.Globalization;
using Streamer.Stream.Alpaca.Trading;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Alpaca;

/// <summary>
/// The <c>Alpaca</c> section (docs/run.md, docs/alpaca.md): market data (<c>DataUrl</c> and its
/// feeds, <see cref="AlpacaFeedOptions"/>) and trading (<c>TradingUrl</c> and the executor,
/// <see cref="AlpacaTradingOptions"/>). <see cref="Validate"/> checks every value whether or not its
/// URL is set (a bad value is bad either way); what needs the keys, the books or the feed is checked
/// when those options are built.
/// </summary>
public sealed record AlpacaOptions : ISettingsSection
{
    /// <summary><c>Alpaca:DataUrl</c>: live market data (only without <c>Feed:Tape</c>).</summary>
    public string? DataUrl { get; init; }

    /// <summary><c>Alpaca:Feed</c> (iex): the stocks feed.</summary>
    public string Feed { get; init; } = "iex";

    /// <summary><c>Alpaca:OptionsFeed</c> (indicative).</summary>
    public string OptionsFeed { get; init; } = "indicative";

    /// <summary><c>Alpaca:MarketClockSpeed</c> (0 = the wall clock; N = the feed's own time at N×).</summary>
    public double MarketClockSpeed { get; init; }

    /// <summary><c>Alpaca:TradingUrl</c>: the trading REST base; unset = no broker.</summary>
    public string? TradingUrl { get; init; }

    /// <summary><c>Alpaca:ReconcileSeconds</c> (60; 0 = only at start).</summary>
    public double ReconcileSeconds { get; init; } = 60;

    /// <summary><c>Alpaca:DefaultBook</c> (unset = <c>Intake:DefaultBook</c>).</summary>
    public string? DefaultBook { get; init; }

    /// <summary><c>Alpaca:Executor</c> (false).</summary>
    public bool Executor { get; init; }

    /// <summary><c>Alpaca:OrderRetries</c> (3).</summary>
    public int OrderRetries { get; init; } = 3;

    /// <summary><c>Alpaca:OrderTimeoutSeconds</c> (30).</summary>
    public double OrderTimeoutSeconds { get; init; } = 30;

    /// <summary><c>Alpaca:RetryBackoffSeconds</c> (1).</summary>
    public double RetryBackoffSeconds { get; init; } = 1;

    /// <summary><c>Alpaca:OrderType</c> (market): market or limit.</summary>
    public string OrderType { get; init; } = "market";

    /// <summary><c>Alpaca:LimitSlippage</c> (0.05).</summary>
    public double LimitSlippage { get; init; } = (double)ExitLimitPricing.DefaultSlippage;

    /// <summary><c>Alpaca:LimitSlippageMax</c> (unset = 0.25, or <c>LimitSlippage</c> when that is more).</summary>
    public double? LimitSlippageMax { get; init; }

    /// <summary><c>Alpaca:LimitFinalMarket</c> (true).</summary>
    public bool LimitFinalMarket { get; init; } = true;

    /// <summary><c>Alpaca:BrokenSpreadPolicy</c> (unset = <c>close</c> with the executor, else <c>monitor</c>): what to do with the legs left when one changed at the broker.</summary>
    public string? BrokenSpreadPolicy { get; init; }

    /// <summary><c>Alpaca:BrokenSpreadBook</c> (unset = <c>Alpaca:DefaultBook</c>): the book the remainder of a broken position is monitored under.</summary>
    public string? BrokenSpreadBook { get; init; }

    /// <summary><see cref="OrderType"/> as the executor's enum (<see cref="Validate"/> has refused anything else).</summary>
    public ExitOrderType ExitOrderType => OrderType.Equals("limit", StringComparison.OrdinalIgnoreCase) ? ExitOrderType.Limit : ExitOrderType.Market;

    /// <summary><see cref="LimitSlippageMax"/> with its default applied.</summary>
    public double EffectiveLimitSlippageMax => LimitSlippageMax ?? Math.Max((double)ExitLimitPricing.DefaultSlippageMax, LimitSlippage);

    public void Validate()
    {
        if (DataUrl is not null && (!Uri.TryCreate(DataUrl, UriKind.Absolute, out var data) || data.Scheme is not ("ws" or "wss" or "http" or "https")))
            throw new SettingsException($"Alpaca:DataUrl: '{DataUrl}' is not a ws(s):// or http(s):// address");
        if (Feed is not ("iex" or "sip" or "delayed_sip" or "test")) throw new SettingsException($"Alpaca:Feed: '{Feed}' is not iex, sip, delayed_sip or test");
        if (OptionsFeed is not ("indicative" or "opra")) throw new SettingsException($"Alpaca:OptionsFeed: '{OptionsFeed}' is not indicative or opra");
        ISettingsSection.InRange("Alpaca:MarketClockSpeed", MarketClockSpeed, 0, 1_000_000);
        if (TradingUrl is not null && (!Uri.TryCreate(TradingUrl, UriKind.Absolute, out var trading) || trading.Scheme is not ("http" or "https")))
            throw new SettingsException($"Alpaca:TradingUrl: '{TradingUrl}' is not an http(s):// address");
        if (ReconcileSeconds < 0) throw new SettingsException("Alpaca:ReconcileSeconds: must be 0 (only at start) or more");
        if (OrderRetries is < 0 or > 100) throw new SettingsException("Alpaca:OrderRetries: must be a whole number, 0 to 100");
        if (OrderTimeoutSeconds <= 0) throw new SettingsException("Alpaca:OrderTimeoutSeconds: must be more than 0");
        if (RetryBackoffSeconds < 0) throw new SettingsException("Alpaca:RetryBackoffSeconds: must be 0 or more");
        if (BrokenSpreadPolicy is not null && BrokenSpreadPolicy.ToLowerInvariant() is not ("close" or "monitor"))
            throw new SettingsException($"Alpaca:BrokenSpreadPolicy: '{BrokenSpreadPolicy}' is not close or monitor");
        if (OrderType.ToLowerInvariant() is not ("market" or "limit")) throw new SettingsException($"Alpaca:OrderType: '{OrderType}' is not market or limit");
        if (LimitSlippage is < 0 or > 1) throw new SettingsException("Alpaca:LimitSlippage: must be a fraction of the exit's value, 0 to 1 (0.05 = 5 %)");
        var max = EffectiveLimitSlippageMax;
        if (max < LimitSlippage || max > 1)
            throw new SettingsException(string.Create(CultureInfo.InvariantCulture, $"Alpaca:LimitSlippageMax: must be at least Alpaca:LimitSlippage ({LimitSlippage}) and at most 1"));
    }
}
