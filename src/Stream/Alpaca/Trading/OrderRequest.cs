namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// An order to submit (alpaca.md): one leg → a simple order on that symbol; 2–4 legs → <c>mleg</c>
/// with <see cref="Qty"/> in strategy units. <see cref="LimitPrice"/> null → market; for mleg
/// positive is a net debit, negative a net credit.
/// </summary>
internal sealed record OrderRequest(IReadOnlyList<OrderLegRequest> Legs, long Qty, decimal? LimitPrice, string ClientOrderId);
