using Streamer.Rules.Time;

namespace Streamer.Rules.Books;

/// <summary>
/// A compiled rule book: which rules run (bits) and every parameter as a plain field, so the
/// evaluator reads numbers, never a dictionary or a rule object. Defaults are rules.md's.
/// </summary>
public struct BookParameters
{
    public const int MaxTranches = 4;

    public RuleSet Rules;
    public MarkMode Mark;
    public long StaleAfterNs;

    public double UpPct;            // underlying_move; NaN = that direction off
    public double DownPct;
    public double LossPct;          // premium_stop
    public double GainPct;          // premium_target
    public double ActivateGainPct;  // trailing_stop
    public double TrailPct;
    public double DebitMultiple;    // credit_stop
    public double ShortDelta;       // delta_stop
    public double TouchDistance;    // touch
    public int MinContracts;        // scale_out
    public int TrancheCount;
    public Tranches Levels;         // pct_max_profit (credit) or gain_pct (debit), ascending
    public Tranches Fractions;      // of the original count; the last tranche is the remainder
    public double SingleExitLevel;  // below min_contracts: everything at this level
    public int Dte;                 // dte_stop: absolute DTE (DteOff: not given beside initial_fraction)
    public double DteInitialFraction; // dte_stop: of the DTE at open (NaN: off)

    /// <summary><see cref="Dte"/> when only <c>initial_fraction</c> was given.</summary>
    public const int DteOff = -1;
    public int MinutesBeforeClose;  // day_trade_close
    public int MaxHoldMinutes;      // max_hold
    public double ExpiryRiskHours;  // expiry_risk

    public readonly bool Has(RuleId rule) => (Rules & rule.Bit()) != 0;

    public static BookParameters Defaults
    {
        get
        {
            var p = new BookParameters
            {
                Rules = RuleSet.None,
                Mark = MarkMode.Mid,
                StaleAfterNs = 30 * NanoTime.PerSecond,
                UpPct = double.NaN,
                DownPct = double.NaN,
                LossPct = 0.5,
                GainPct = 0.5,
                ActivateGainPct = 0.2,
                TrailPct = 0.15,
                DebitMultiple = 1.5,
                ShortDelta = 0.30,
                TouchDistance = 0.0,
                MinContracts = 3,
                TrancheCount = 3,
                SingleExitLevel = 0.5,
                Dte = 21,
                DteInitialFraction = double.NaN,
                MinutesBeforeClose = 5,
                MaxHoldMinutes = 0,
                ExpiryRiskHours = 24,
            };
            p.Levels[0] = 0.5; p.Levels[1] = 0.75; p.Levels[2] = 0.9;
            p.Fractions[0] = 0.4; p.Fractions[1] = 0.4;
            return p;
        }
    }
}
