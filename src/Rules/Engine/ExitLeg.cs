namespace Streamer.Rules.Engine;

/// <summary>
/// One leg of an exit: the closing order quantity (+ buy, − sell) and the leg's mark at the decision
/// (NaN: the engine had no price for it). The engine fills these in place (no allocation per exit);
/// the executor reads the same legs back from the exit event, where <see cref="SymbolId"/> is 0.
/// </summary>
public struct ExitLeg
{
    public string Symbol;
    public int SymbolId;
    public int Qty;
    public double Mark;
}
