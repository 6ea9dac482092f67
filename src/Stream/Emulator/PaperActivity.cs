namespace Streamer.Stream.Emulator;

/// <summary>
/// A non-trade activity (Alpaca's account activities): <c>OPEXP</c> an option expired worthless,
/// <c>OPEXC</c> a long option exercised, <c>OPASN</c> a short option assigned. These never
/// appear on trade_updates (alpaca.md); <c>GET /v2/account/activities</c> lists them.
/// </summary>
public sealed record PaperActivity(string Id, string ActivityType, long TimeNs, string Symbol, long Qty, decimal Price, decimal NetAmount, string Description);
