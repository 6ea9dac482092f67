namespace Streamer.Rules.Books;

/// <summary>
/// The books Streamer ships (formats.md: day_trade, primary, income_pop), written as a books
/// file so they go through the same compiler as a user's file. Why income_pop looks like this:
/// docs/rules-notes.md.
/// </summary>
internal static class BuiltInBooks
{
    public const string Yaml = """
        books:
          day_trade:
            mark: mid
            rules:
              underlying_stop: {}
              underlying_target: {}
              premium_target: { gain_pct: 0.5 }
              trailing_stop: { activate_gain_pct: 0.2, trail_pct: 0.15 }
              day_trade_close: { minutes_before_close: 5 }
              max_hold: { minutes: 240 }
              expiry_risk: { hours: 24 }
          primary:
            rules:
              scale_out: { min_contracts: 3 }
              credit_stop: { debit_multiple: 1.5 }
              delta_stop: { short_delta: 0.30 }
              dte_stop: { dte: 21 }
          income_pop:
            rules:
              scale_out: { min_contracts: 3, levels: [0.35, 0.50, 0.65], fractions: [0.4, 0.4], single_exit_level: 0.35 }
              credit_stop: { debit_multiple: 1.5 }
              delta_stop: { short_delta: 0.25 }
              dte_stop: { dte: 7 }
              expiry_risk: { hours: 24 }
        """;
}
