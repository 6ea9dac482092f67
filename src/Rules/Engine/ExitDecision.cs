using System.Globalization;
using Streamer.Rules.Books;

namespace Streamer.Rules.Engine;

/// <summary>
/// One exit intent: everything the exit event (formats.md) and the trader's log line need.
/// Built by the engine without allocating (strings are the position's own, the reason comes from
/// a table built when the position was added, legs live in a per-position buffer), and handed to
/// <see cref="IExitSink.OnExit"/> by reference: it is valid only during that call.
/// </summary>
public struct ExitDecision
{
    internal ExitLeg[] LegBuffer;
    internal int LegCount;

    public string PositionId { get; internal set; }
    /// <summary>1, 2, ... per position; the exit id is <c>PositionId:Sequence</c> and is never reused.</summary>
    public int Sequence { get; internal set; }
    public string Underlying { get; internal set; }
    /// <summary>put_credit, call_debit, iron_condor, long_call, stock... (from the legs).</summary>
    public string Strategy { get; internal set; }
    public RuleId Rule { get; internal set; }
    public readonly string RuleName => Rule.Name();
    public string Reason { get; internal set; }
    /// <summary>The engine's clock at the decision: the tick's time or the clock event's time (UTC ns).</summary>
    public long TimeNs { get; internal set; }
    public int ContractsClosed { get; internal set; }
    public int ContractsRemaining { get; internal set; }
    public int ContractsOriginal { get; internal set; }
    /// <summary>Closing quantities signed as the order (+ buy, − sell) and marks.</summary>
    public readonly ReadOnlySpan<ExitLeg> Legs => LegBuffer.AsSpan(0, LegCount);
    /// <summary>NaN when no sane underlying price has been seen.</summary>
    public double UnderlyingPrice { get; internal set; }
    /// <summary>Value of the closed contracts at their marks (Σ qty × mark × multiplier, position signs).</summary>
    public double Value { get; internal set; }
    /// <summary>P&amp;L of the closed contracts: value − entry value.</summary>
    public double Pnl { get; internal set; }
    /// <summary>gain_pct for a debit position, pct_max_profit for a credit position.</summary>
    public double PnlPct { get; internal set; }
    /// <summary>pct_max_profit for a credit position; NaN for a debit position.</summary>
    public double PctMaxProfit { get; internal set; }
    /// <summary>Greeks of the position as it was before this exit.</summary>
    public PositionGreeks Greeks { get; internal set; }
    /// <summary>Realized P&amp;L of the position including this exit.</summary>
    public double RealizedPnl { get; internal set; }
    /// <summary>The position's persistent state after this exit: what a journal stores with the event, so a restart neither repeats nor skips it.</summary>
    public PositionState StateAfter { get; internal set; }
    /// <summary>From the engine receiving the tick (or clock event) to this decision.</summary>
    public long LatencyNs { get; internal set; }

    public readonly bool ClosesPosition => ContractsRemaining == 0;

    /// <summary>The exit id, <c>&lt;position id&gt;:&lt;sequence&gt;</c> (allocates; the JSON writer writes it without a string).</summary>
    public readonly string Id => string.Create(CultureInfo.InvariantCulture, $"{PositionId}:{Sequence}");

    /// <summary>
    /// The trader's log line, e.g.
    /// <c>CLOSING: SPY put_credit - Profit target (75% of max) - P&amp;L: $360.00 - Closed 4/10 contracts</c>.
    /// </summary>
    public readonly string LogLine()
    {
        string pnl = double.IsFinite(Pnl)
            ? (Pnl < 0 ? "-$" : "$") + Math.Abs(Pnl).ToString("#,##0.00", CultureInfo.InvariantCulture)
            : "n/a";
        return string.Create(CultureInfo.InvariantCulture,
            $"CLOSING: {Underlying} {Strategy} - {Reason} - P&L: {pnl} - Closed {ContractsClosed}/{ContractsOriginal} contracts");
    }

    public override readonly string ToString() => $"{Id} {RuleName}: {LogLine()}";
}
