using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>
/// European Black-Scholes-Merton with continuous rate r and dividend yield q, time in years (ACT/365).
/// </summary>
public static class BlackScholes
{
    public static double Price(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
        => Greeks(right, spot, strike, t, r, q, vol).Price;

    public static OptionGreeks Greeks(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        double dfR = Math.Exp(-r * t), dfQ = Math.Exp(-q * t);
        double sqrtT = Math.Sqrt(t);
        double sd = vol * sqrtT;
        double fwd = spot * dfQ / dfR;
        double d1 = (Math.Log(fwd / strike) + 0.5 * sd * sd) / sd;
        double d2 = d1 - sd;
        double pdf = Normal.Pdf(d1);
        double gamma = dfQ * pdf / (spot * sd);
        double vega = spot * dfQ * pdf * sqrtT;
        double thetaVol = -spot * dfQ * pdf * vol / (2 * sqrtT);
        if (right == OptionRight.Call)
        {
            double nd1 = Normal.Cdf(d1), nd2 = Normal.Cdf(d2);
            double price = spot * dfQ * nd1 - strike * dfR * nd2;
            return new OptionGreeks(price, dfQ * nd1, gamma, vega,
                thetaVol + q * spot * dfQ * nd1 - r * strike * dfR * nd2,
                strike * t * dfR * nd2);
        }
        else
        {
            double nmd1 = Normal.Cdf(-d1), nmd2 = Normal.Cdf(-d2);
            double price = strike * dfR * nmd2 - spot * dfQ * nmd1;
            return new OptionGreeks(price, -dfQ * nmd1, gamma, vega,
                thetaVol - q * spot * dfQ * nmd1 + r * strike * dfR * nmd2,
                -strike * t * dfR * nmd2);
        }
    }
}
