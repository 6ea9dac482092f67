namespace Streamer.Rules.Pricing;

/// <summary>
/// What one leg's American pricing (ALO) keeps from one evaluation to the next: the last exercise
/// boundary, in put space. The early-exercise boundary B(τ) depends on r, q and vol but not on the
/// option's maturity, so an underlying tick (spot and clock moved, vol not) prices off it without a
/// solve, and a new vol starts its fixed-point iteration from it instead of from QD+. Only ever
/// written by the caller that owns it (the tick path), so the same sequence of inputs gives the same
/// boundaries and the same numbers.
/// </summary>
internal struct AmericanWarmStart
{
    public ExerciseBoundary Boundary;
    public bool HasBoundary;
    /// <summary>∂ln B/∂σ at the boundary's nodes, from the last two solves at different vols (zero until then): the next start's vol correction.</summary>
    public NodeValues LnSlope;
    /// <summary>The last solve's American-to-European slope ratio: the next solve's first step.</summary>
    public VegaRatio VegaRatio;
    /// <summary>Boundary solves (cold or warm) and reuses: what the benchmarks and tests look at.</summary>
    public int Solves;
    public int Reuses;
}
