using Streamer.Rules.Pricing;

namespace Streamer.Rules.Engine;

/// <summary>
/// A leg's solved finite-difference mesh (American with cash dividends): the values now at every
/// spot for one (IV, instant), and at IV + <see cref="LegPricing.VegaBump"/> for vega. An option
/// quote's IV solve leaves the mesh at the new IV in it (its last evaluation), a spot tick reads
/// delta off it (a cubic interpolation, tens of ns) instead of re-solving; the bumped mesh is solved
/// only when vega is read. Each is re-solved when the IV changes, the clock has moved
/// <see cref="LegPricing.MeshRefreshNs"/> since, an ex instant has passed, or the spot leaves its
/// interior. Allocated once per leg on add.
/// </summary>
internal sealed class LegMesh
{
    public readonly double[] X = new double[DividendAmerican.SpaceNodes];
    public readonly double[] V = new double[DividendAmerican.SpaceNodes];
    public readonly double[] XUp = new double[DividendAmerican.SpaceNodes];
    public readonly double[] VUp = new double[DividendAmerican.SpaceNodes];
    /// <summary>The IV and clock of <see cref="X"/>/<see cref="V"/> (NaN: no usable mesh).</summary>
    public double Vol = double.NaN;
    public long SolvedNs = long.MinValue;
    /// <summary>The IV (unbumped) and clock of <see cref="XUp"/>/<see cref="VUp"/>: solved only when vega is read (an exit, a snapshot), not per tick.</summary>
    public double UpVol = double.NaN;
    public long UpSolvedNs = long.MinValue;
    /// <summary>The leg's measured slope of the FD price in vol against the European vega: the IV solve's first step.</summary>
    public VegaRatio Ratio;
}
