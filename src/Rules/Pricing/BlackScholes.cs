using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>
/// European Black-Scholes-Merton with continuous rate r and dividend yield q, time in years (ACT/365).
/// Units are QuantLib's (AnalyticEuropeanEngine): vega per 1.00 vol, theta per year, rho per 1.00 rate.
/// </summary>
public static class BlackScholes
{
    public static double Price(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        double dfR = Math.Exp(-r * t), dfQ = Math.Exp(-q * t);
        double sd = vol * Math.Sqrt(t);
        if (!(sd > 0)) return Intrinsic(right, spot * dfQ, strike * dfR);
        double fwdOverStrike = spot * dfQ / (strike * dfR);
        double d1 = Math.Log(fwdOverStrike) / sd + 0.5 * sd;
        double d2 = d1 - sd;
        double pdf = Normal.Pdf(d1), pdf2 = pdf * fwdOverStrike;
        return right == OptionRight.Call
            ? spot * dfQ * Normal.Cdf(d1, pdf) - strike * dfR * Normal.Cdf(d2, pdf2)
            : strike * dfR * Normal.Cdf(-d2, pdf2) - spot * dfQ * Normal.Cdf(-d1, pdf);
    }

    public static OptionGreeks Greeks(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        double dfR = Math.Exp(-r * t), dfQ = Math.Exp(-q * t);
        double sqrtT = Math.Sqrt(t);
        double sd = vol * sqrtT;
        if (!(sd > 0)) return Degenerate(right, spot, strike, t, r, q, dfR, dfQ);
        double fwdOverStrike = spot * dfQ / (strike * dfR);
        double d1 = Math.Log(fwdOverStrike) / sd + 0.5 * sd;
        double d2 = d1 - sd;
        double pdf = Normal.Pdf(d1);
        double pdf2 = pdf * fwdOverStrike; // φ(d2) = φ(d1)·F/K
        double gamma = dfQ * pdf / (spot * sd);
        double vega = spot * dfQ * pdf * sqrtT;
        double thetaVol = -spot * dfQ * pdf * vol / (2 * sqrtT);
        if (right == OptionRight.Call)
        {
            double nd1 = Normal.Cdf(d1, pdf), nd2 = Normal.Cdf(d2, pdf2);
            double price = spot * dfQ * nd1 - strike * dfR * nd2;
            return new OptionGreeks(price, dfQ * nd1, gamma, vega,
                thetaVol + q * spot * dfQ * nd1 - r * strike * dfR * nd2,
                strike * t * dfR * nd2);
        }
        else
        {
            double nmd1 = Normal.Cdf(-d1, pdf), nmd2 = Normal.Cdf(-d2, pdf2);
            double price = strike * dfR * nmd2 - spot * dfQ * nmd1;
            return new OptionGreeks(price, -dfQ * nmd1, gamma, vega,
                thetaVol - q * spot * dfQ * nmd1 + r * strike * dfR * nmd2,
                -strike * t * dfR * nmd2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Intrinsic(OptionRight right, double fwdSpot, double pvStrike)
        => right == OptionRight.Call ? Math.Max(fwdSpot - pvStrike, 0) : Math.Max(pvStrike - fwdSpot, 0);

    // zero vol or zero time: the deterministic limit (discounted intrinsic of the forward), so an
    // option priced at exactly its intrinsic value still gets finite Greeks instead of NaN
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static OptionGreeks Degenerate(OptionRight right, double spot, double strike, double t, double r, double q, double dfR, double dfQ)
    {
        double fs = spot * dfQ, pk = strike * dfR;
        bool inMoney = right == OptionRight.Call ? fs > pk : pk > fs;
        if (!inMoney) return default;
        double sign = right == OptionRight.Call ? 1 : -1;
        return new OptionGreeks(sign * (fs - pk), sign * dfQ, 0, 0,
            sign * (q * fs - r * pk), sign * strike * t * dfR);
    }
}
