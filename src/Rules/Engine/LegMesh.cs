using Streamer.Rules.Pricing;

namespace Streamer.Rules.Engine;

/// <summary>
/// A leg's solved finite-difference mesh (American with cash dividends): the values now at every
/// spot for one (IV, instant), and at IV + <see cref="LegPricing.VegaBump"/> for vega. A spot
/// tick reads delta off it (a cubic interpolation, tens of ns) instead of re-solving (two
/// solves); it is re-solved when the IV changes, the clock has moved <see cref="LegPricing.MeshRefreshNs"/>
/// since, an ex instant has passed, or the spot leaves its interior. Allocated once per leg on add.
/// </summary>
internal sealed class LegMesh
{
    public readonly double[] X = new double[DividendAmerican.SpaceNodes];
    public readonly double[] V = new double[DividendAmerican.SpaceNodes];
    public readonly double[] XUp = new double[DividendAmerican.SpaceNodes];
    public readonly double[] VUp = new double[DividendAmerican.SpaceNodes];
    public double Vol = double.NaN;
    public long SolvedNs = long.MinValue;
}
