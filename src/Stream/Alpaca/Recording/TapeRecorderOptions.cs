using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;

namespace Streamer.Stream.Alpaca.Recording;

/// <summary>What <see cref="TapeRecorder"/> records, from where, into what.</summary>
public sealed class TapeRecorderOptions
{
    /// <summary>The market-data stream host (Alpaca's, or <c>streamer emulate</c>'s <c>ws://127.0.0.1:PORT</c>).</summary>
    public Uri DataUrl { get; init; } = new("wss://stream.data.alpaca.markets");

    /// <summary><c>iex</c> / <c>sip</c> / <c>delayed_sip</c> for stocks.</summary>
    public string Feed { get; init; } = "iex";

    /// <summary><c>indicative</c> / <c>opra</c> for options.</summary>
    public string OptionsFeed { get; init; } = "indicative";

    public required AlpacaCredentials Credentials { get; init; }

    /// <summary>The directory that receives one tape per New York session day (<c>YYYY-MM-DD.csv</c>) and its sidecar.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>CSV or JSONL: both can be continued after a restart (a binary tape is made from them with <c>streamer tape convert</c>).</summary>
    public TapeFormat Format { get; init; } = TapeFormat.Csv;

    /// <summary>Stock tickers and OCC option symbols: quotes and trades of each are recorded.</summary>
    public required IReadOnlyList<string> Symbols { get; init; }

    /// <summary>
    /// How often rows reach the file. With <see cref="Holdback"/> this bounds what a kill loses: a row is
    /// on disk at most holdback + interval after it arrived (250 + 250 ms by default, under a second).
    /// </summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long an arrived row waits for rows of the other stream with earlier times, so the tape stays in
    /// time order although stocks and options come over two connections. A row later than that is "late".
    /// </summary>
    public TimeSpan Holdback { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>First reconnect delay (doubling to <see cref="MaxBackoff"/>).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
