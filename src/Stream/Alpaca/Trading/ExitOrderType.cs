namespace Streamer.Stream.Alpaca.Trading;

/// <summary><c>Alpaca:OrderType</c>: how the executor sends an exit.</summary>
public enum ExitOrderType
{
    /// <summary>a market order (fills at whatever the market gives).</summary>
    Market,

    /// <summary>a marketable limit: the exit's mark moved by an allowance towards the market, widened on each retry.</summary>
    Limit,
}
