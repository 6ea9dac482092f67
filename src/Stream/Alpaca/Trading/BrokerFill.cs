namespace Streamer.Stream.Alpaca.Trading;

/// <summary>One leg's execution from a <c>fill</c>/<c>partial_fill</c> update: signed (+ bought, − sold).</summary>
/// <param name="FillId">stable across reconnects and restarts: <c>alpaca:&lt;order id&gt;:&lt;cumulative filled qty&gt;</c>
/// (mleg: <c>…/&lt;symbol&gt;</c> per leg, the intake's multi-leg convention), so the same execution seen again is a duplicate.</param>
internal sealed record BrokerFill(string FillId, string Symbol, decimal Qty, decimal Price, long TimeNs);
