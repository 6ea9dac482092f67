
namespace Streamer.Rules.Engine;

/// <summary>One position's fills that do not yet form whole strategy units (signed qty and qty × price per leg).</summary>
internal sealed class FillBasket(int legs)
{
    public readonly long[] Qty = new long[legs];
    public readonly double[] Cost = new double[legs];
    public long LastOrdinal;
}
