using Streamer.Feed.Alpaca;
namespace Streamer.Stream.Alpaca.MarketData;

/// <summary>Where and how to connect. Defaults are Alpaca's production stream and a patient retry policy.</summary>
public sealed class AlpacaStreamOptions
{
    /// <summary><c>Alpaca:DataUrl</c>: scheme and host (ws/wss; http/https are mapped), no path.</summary>
    public Uri DataUrl { get; init; } = new("wss://stream.data.alpaca.markets");

    public AlpacaStreamKind Kind { get; init; } = AlpacaStreamKind.Stocks;

    /// <summary><c>iex</c>/<c>sip</c>/<c>delayed_sip</c>/<c>test</c> for stocks; <c>indicative</c>/<c>opra</c> for options.</summary>
    public string Feed { get; init; } = "iex";

    /// <summary>First reconnect delay; doubles per failed attempt up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connect + "connected" + authentication must finish within this.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>No frame for this long while live → <see cref="FeedState.Stale"/>.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Intern symbols the table does not know (otherwise their ticks are skipped and counted).</summary>
    public bool InternUnknownSymbols { get; init; }

    /// <summary>These options for one stream: its kind and feed, everything else as here.</summary>
    public AlpacaStreamOptions For(AlpacaStreamKind kind, string feed) => new()
    {
        DataUrl = DataUrl,
        Kind = kind,
        Feed = feed,
        InitialBackoff = InitialBackoff,
        MaxBackoff = MaxBackoff,
        HandshakeTimeout = HandshakeTimeout,
        StaleAfter = StaleAfter,
        InternUnknownSymbols = InternUnknownSymbols,
    };

    /// <summary>The websocket endpoint: <c>{DataUrl}/v2/{Feed}</c> or <c>{DataUrl}/v1beta1/{Feed}</c>.</summary>
    public Uri Endpoint
    {
        get
        {
            var b = new UriBuilder(DataUrl);
            b.Scheme = b.Scheme switch { "https" => "wss", "http" => "ws", _ => b.Scheme };
            if (b.Uri.IsDefaultPort) b.Port = -1;
            string root = b.Path.TrimEnd('/');
            b.Path = $"{root}/{(Kind == AlpacaStreamKind.Options ? "v1beta1" : "v2")}/{Feed}";
            return b.Uri;
        }
    }
}
