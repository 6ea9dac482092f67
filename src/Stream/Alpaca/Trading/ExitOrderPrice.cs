namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// What one attempt sends: <see cref="LimitPrice"/> in Alpaca's convention (a simple order positive; an mleg
/// + debit / − credit per strategy unit), or null for a market order (<see cref="MarketReason"/> says why when
/// a limit was wanted). <see cref="NetMark"/>: the exit's mark per unit in the same convention.
/// </summary>
internal sealed record ExitOrderPrice(decimal? LimitPrice, decimal? NetMark, decimal Allowance, string? MarketReason)
{
    public static readonly ExitOrderPrice AtMarket = new(null, null, 0, null);

    public static ExitOrderPrice Market(string reason) => new(null, null, 0, reason);
}
