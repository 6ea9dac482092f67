using Streamer.Feed.Alpaca;

namespace Streamer.Stream.Alpaca.Recording;

/// <summary>What <see cref="TapeFetcher"/> asks Alpaca's historical API for.</summary>
public sealed class TapeFetchOptions
{
    /// <summary>The market-data REST host (Alpaca's <c>https://data.alpaca.markets</c>, or the emulator's).</summary>
    public Uri DataUrl { get; init; } = new("https://data.alpaca.markets");

    public required AlpacaCredentials Credentials { get; init; }

    /// <summary>First instant (UTC ns), inclusive.</summary>
    public required long StartNs { get; init; }

    /// <summary>Last instant (UTC ns), inclusive.</summary>
    public required long EndNs { get; init; }

    public required IReadOnlyList<string> Symbols { get; init; }

    /// <summary>The tape to write (.csv, .jsonl or .stape). Work in progress lives in <c>OUT.part/</c> until it is done.</summary>
    public required string Output { get; init; }

    /// <summary>Stocks' feed: <c>iex</c>, <c>sip</c>, <c>delayed_sip</c>.</summary>
    public string Feed { get; init; } = "iex";

    /// <summary>What stands for an option's market, since Alpaca keeps no historical option quotes: its trades, or its bars' closes.</summary>
    public OptionHistory OptionData { get; init; } = OptionHistory.Trades;

    /// <summary>Bar length when <see cref="OptionData"/> is bars (Alpaca's timeframe syntax, e.g. <c>1Min</c>).</summary>
    public string BarTimeframe { get; init; } = "1Min";

    /// <summary>Rows per request (Alpaca allows up to 10,000).</summary>
    public int PageLimit { get; init; } = 10_000;

    /// <summary>Longest wait between retries (a 429's own wait is capped here too).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Which history stands for an option's market on a fetched tape.</summary>
public enum OptionHistory
{
    /// <summary>every option trade as a <c>last</c> row</summary>
    Trades,

    /// <summary>each bar's close as a <c>last</c> row stamped at the bar's end (never its start: that would show a price before it happened)</summary>
    Bars,
}
