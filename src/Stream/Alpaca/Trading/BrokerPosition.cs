namespace Streamer.Stream.Alpaca.Trading;

/// <summary>A broker position (<c>GET /v2/positions</c>); Alpaca sends every number as a string.</summary>
internal sealed record BrokerPosition(
    string Symbol, string AssetClass, decimal Qty, string Side, decimal AvgEntryPrice,
    decimal? MarketValue, decimal? CostBasis, decimal? UnrealizedPl, decimal? CurrentPrice)
{
    public bool IsOption => AssetClass == "us_option";
}
