namespace Streamer.Stream.Alpaca.MarketData;

public enum AlpacaAlertKind : byte
{
    /// <summary>405: the server refused symbols over the subscription limit; <see cref="AlpacaAlert.Symbols"/> names them</summary>
    SymbolLimit,
    /// <summary>a non-retryable error (402, 409, 410, 411, 412): the client stopped</summary>
    GaveUp,
    /// <summary>any other error the server reported; the connection goes on (or reconnects)</summary>
    ServerError,
    /// <summary>the connection dropped or could not be made; the client retries</summary>
    Disconnected,
}
