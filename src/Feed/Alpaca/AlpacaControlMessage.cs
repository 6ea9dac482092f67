namespace Streamer.Feed.Alpaca;

/// <summary>
/// One control message. Rare (a handful per connection), so a class with strings is fine:
/// data messages never become one of these.
/// </summary>
public sealed class AlpacaControlMessage
{
    public required AlpacaControlKind Kind { get; init; }

    /// <summary><c>msg</c>: "connected", "authenticated", or the error text.</summary>
    public string Message { get; init; } = "";

    /// <summary><c>code</c> of an error, 0 otherwise.</summary>
    public int Code { get; init; }

    public IReadOnlyList<string> Trades { get; init; } = [];
    public IReadOnlyList<string> Quotes { get; init; } = [];
    public IReadOnlyList<string> Bars { get; init; } = [];

    /// <summary>Every other list in a subscription reply (updatedBars, dailyBars, statuses, lulds, corrections, cancelErrors).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> OtherChannels { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public bool IsConnected => Kind == AlpacaControlKind.Success && Message == "connected";

    public bool IsAuthenticated => Kind == AlpacaControlKind.Success && Message == "authenticated";

    public override string ToString() => Kind switch
    {
        AlpacaControlKind.Error => $"error {Code}: {Message}",
        AlpacaControlKind.Subscription => $"subscription trades=[{string.Join(',', Trades)}] quotes=[{string.Join(',', Quotes)}] bars=[{string.Join(',', Bars)}]",
        _ => $"success: {Message}",
    };
}
