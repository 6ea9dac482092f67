using Streamer.Rules.Pricing;

namespace Streamer.Rules.Engine;

/// <summary>
/// A leg's American (ALO) state between ticks: the warm exercise boundary (<see cref="AmericanWarmStart"/>)
/// and the value (price, delta, gamma) of the last evaluation with the spot, maturity and vol it was
/// for, so the delta a tick's IV solve already produced is not computed again for delta_stop. Written
/// only on the tick path (snapshots and trigger readers leave it alone), so a replay of the same tape
/// goes through the same states. Allocated once per American option leg on add.
/// </summary>
internal sealed class LegAmerican
{
    public AmericanWarmStart Warm;
    public AmericanValue Value;
    public double ValueSpot = double.NaN;
    public double ValueT = double.NaN;
    public double ValueVol = double.NaN;

    public void Keep(in AmericanValue value, double spot, double t, double vol)
    {
        Value = value;
        ValueSpot = spot;
        ValueT = t;
        ValueVol = vol;
    }

    public bool TryGet(double spot, double t, double vol, out AmericanValue value)
    {
        value = Value;
        return ValueSpot == spot && ValueT == t && ValueVol == vol;
    }
}
