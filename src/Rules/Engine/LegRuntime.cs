using Streamer.Rules.Instruments;

namespace Streamer.Rules.Engine;

/// <summary>A leg's evaluation state, kept in a per-position array (no object per leg).</summary>
internal struct LegRuntime
{
    public int SymbolId;
    /// <summary>Signed qty per strategy unit (qty / gcd of the legs): open qty = Ratio × open units.</summary>
    public int Ratio;
    public double Multiplier;
    public double EntryPrice;
    public bool IsOption;
    public OptionRight Right;
    public double Strike;
    public long ExpiryNs;

    // mark: from this leg's own quotes/trades (per the book's mark mode)
    public double Mark;
    public long MarkNs;     // long.MinValue until the first usable quote
    public bool HasMark;

    // implied vol and per-share Greeks
    public double Iv;
    public bool HasIv;
    public double IvSolvedMark;   // the mark and spot the IV was last solved on: unchanged → no re-solve
    public double IvSolvedSpot;
    public double Delta;
    public double Gamma;
    public double Theta;
    public double Vega;
    /// <summary>Spot or IV moved since the Greeks were computed (books without delta_stop compute them on demand).</summary>
    public bool GreeksStale;
    /// <summary>The cached finite-difference mesh (American style with cash dividends configured; else null).</summary>
    public LegMesh? Mesh;
    /// <summary>The warm ALO state (American style; else null).</summary>
    public LegAmerican? American;
}
