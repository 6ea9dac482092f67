namespace Streamer.Feed.Alpaca;

/// <summary>Which market-data stream: stocks (<c>/v2/{feed}</c>, JSON) or options (<c>/v1beta1/{feed}</c>, MessagePack).</summary>
public enum AlpacaStreamKind : byte
{
    Stocks,
    Options,
}
