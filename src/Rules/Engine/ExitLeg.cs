namespace Streamer.Rules.Engine;

/// <summary>One leg of an exit: the closing order quantity (+ buy, − sell) and the leg's mark at the decision.</summary>
public struct ExitLeg
{
    public string Symbol;
    public int SymbolId;
    public int Qty;
    public double Mark;
}
