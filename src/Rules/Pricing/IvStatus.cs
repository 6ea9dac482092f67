
namespace Streamer.Rules.Pricing;

public enum IvStatus : byte
{
    Ok = 0,
    /// <summary>price below the discounted intrinsic value: no volatility reproduces it.</summary>
    BelowIntrinsic,
    /// <summary>price at or above the no-arbitrage bound (S·e^{-qT} for a call, K·e^{-rT} for a put).</summary>
    AboveMaximum,
    /// <summary>non-positive spot, strike or time, or a non-finite input.</summary>
    InvalidInput,
}
