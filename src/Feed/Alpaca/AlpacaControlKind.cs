namespace Streamer.Feed.Alpaca;

/// <summary>The control messages of Alpaca's market-data streams (everything that is not data).</summary>
public enum AlpacaControlKind : byte
{
    /// <summary><c>{"T":"success","msg":"connected"|"authenticated"}</c></summary>
    Success,
    /// <summary><c>{"T":"error","code":N,"msg":…}</c></summary>
    Error,
    /// <summary><c>{"T":"subscription","trades":[…],"quotes":[…],…}</c>: the full current state</summary>
    Subscription,
}
