using System.Globalization;
using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Stream.Host.Greeks;

/// <summary>Price and Greeks for one request (QuantLib units), solving implied vol first when given a price.</summary>
internal static class GreeksPricer
{
    public static bool TryPrice(in GreeksRequest req, out OptionGreeks greeks, out double iv, out string? error)
    {
        greeks = default;
        iv = req.Vol;
        error = null;
        bool american = req.Style == ExerciseStyle.American;
        if (american && !AmericanOption.IsSupported(req.Right, req.Rate, req.Dividend))
        {
            error = "american exercise with negative rates below the dividend yield (a double exercise boundary) is not supported";
            return false;
        }
        if (!req.HasVol)
        {
            var status = american
                ? AmericanOption.TrySolveVol(req.Right, req.Price, req.Spot, req.Strike, req.ExpiryYears, req.Rate, req.Dividend, out iv)
                : ImpliedVolatility.TrySolve(req.Right, req.Price, req.Spot, req.Strike, req.ExpiryYears, req.Rate, req.Dividend, out iv);
            if (status != IvStatus.Ok)
            {
                error = Describe(status, in req);
                return false;
            }
            if (!(iv > 0))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"price {req.Price} has no time value: implied volatility is 0");
                return false;
            }
        }
        greeks = american
            ? AmericanOption.Greeks(req.Right, req.Spot, req.Strike, req.ExpiryYears, req.Rate, req.Dividend, iv)
            : BlackScholes.Greeks(req.Right, req.Spot, req.Strike, req.ExpiryYears, req.Rate, req.Dividend, iv);
        if (!(double.IsFinite(greeks.Price) && double.IsFinite(greeks.Delta) && double.IsFinite(greeks.Gamma)
              && double.IsFinite(greeks.Vega) && double.IsFinite(greeks.Theta) && double.IsFinite(greeks.Rho)))
        {
            error = "pricing produced a non-finite value for these inputs";
            return false;
        }
        return true;
    }

    private static string Describe(IvStatus status, in GreeksRequest req)
    {
        var ic = CultureInfo.InvariantCulture;
        bool american = req.Style == ExerciseStyle.American;
        double t = req.ExpiryYears;
        double fwdSpot = req.Spot * Math.Exp(-req.Dividend * t), pvStrike = req.Strike * Math.Exp(-req.Rate * t);
        return status switch
        {
            IvStatus.BelowIntrinsic when american => string.Create(ic,
                $"price {req.Price} is below the option's value at zero volatility (intrinsic {Math.Max(req.Right == OptionRight.Call ? req.Spot - req.Strike : req.Strike - req.Spot, 0)}): no implied volatility"),
            IvStatus.BelowIntrinsic => string.Create(ic,
                $"price {req.Price} is below the discounted intrinsic value {Math.Max(req.Right == OptionRight.Call ? fwdSpot - pvStrike : pvStrike - fwdSpot, 0)}: no implied volatility"),
            IvStatus.AboveMaximum => string.Create(ic,
                $"price {req.Price} is at or above the no-arbitrage bound {(req.Right == OptionRight.Call ? (american ? req.Spot : fwdSpot) : (american ? req.Strike : pvStrike))}: no implied volatility"),
            _ => "invalid inputs for implied volatility",
        };
    }
}
