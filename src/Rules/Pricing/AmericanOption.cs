using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>Price and the spot Greeks of an American option, per share.</summary>
public readonly record struct AmericanValue(double Price, double Delta, double Gamma);

/// <summary>
/// American exercise, continuous r and q (US equity options), by the Andersen–Lake–Offengenden
/// fixed-point method (see <see cref="ExerciseBoundary"/>): price, delta and gamma analytic from
/// the boundary integral representation; theta from the Black–Scholes PDE; vega and rho by central
/// bumps that re-solve the boundary. Calls through put-call symmetry C(S,K,r,q) = P(K,S,q,r).
/// When early exercise never pays (put with r ≤ 0 ≤ q − r... see <see cref="HasEarlyExercise"/>)
/// the value is the European one. The double-boundary regime of negative rates (put with
/// q &lt; r &lt; 0, call with r &lt; q &lt; 0) is not modelled: <see cref="IsSupported"/> is false.
/// </summary>
public static class AmericanOption
{
    private static readonly GaussLegendre Premium = new(48);

    /// <summary>false only in the negative-rate double-boundary regime.</summary>
    public static bool IsSupported(OptionRight right, double r, double q)
    {
        (double rp, double qp) = right == OptionRight.Call ? (q, r) : (r, q);
        return !(rp < 0 && qp < rp);
    }

    /// <summary>Whether early exercise can ever be optimal (else the American value is the European).</summary>
    public static bool HasEarlyExercise(OptionRight right, double r, double q)
    {
        double rp = right == OptionRight.Call ? q : r;
        return rp > 0;
    }

    public static double Price(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
        => Value(right, spot, strike, t, r, q, vol).Price;

    /// <summary>Price, delta and gamma; one boundary solve.</summary>
    public static AmericanValue Value(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        if (!HasEarlyExercise(right, r, q) || !(vol * Math.Sqrt(t) > 0))
        {
            var e = BlackScholes.Greeks(right, spot, strike, t, r, q, vol);
            if (!(vol * Math.Sqrt(t) > 0) && HasEarlyExercise(right, r, q))
                return Intrinsic(right, spot, strike, e);
            return new AmericanValue(e.Price, e.Delta, e.Gamma);
        }
        if (right == OptionRight.Put)
        {
            ExerciseBoundary.Solve(r, q, vol, t, out var boundary);
            return Put(spot, strike, in boundary);
        }
        // call = put on the strike with the roles of r and q swapped: P(S'=K, K'=S, r'=q, q'=r)
        ExerciseBoundary.Solve(q, r, vol, t, out var mirrored);
        var p = Put(strike, spot, in mirrored);
        // p is homogeneous of degree one in (S', K'): ∂P/∂K' = (P − S'·∂P/∂S')/K', ∂²P/∂K'² = (S'/K')²·∂²P/∂S'²
        return new AmericanValue(p.Price, (p.Price - strike * p.Delta) / spot, strike * strike / (spot * spot) * p.Gamma);
    }

    /// <summary>
    /// All Greeks in QuantLib's units (vega per 1.00 vol, theta per year, rho per 1.00 rate).
    /// Theta from the PDE θ = rV − (r−q)SΔ − ½σ²S²Γ (0 where exercise is optimal); vega and rho by
    /// central differences of ±1e-4 with the boundary re-solved (four more solves).
    /// </summary>
    public static OptionGreeks Greeks(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        var v = Value(right, spot, strike, t, r, q, vol);
        bool exercised = v.Delta is 1.0 or -1.0 && v.Gamma == 0;
        double theta = exercised ? 0 : r * v.Price - (r - q) * spot * v.Delta - 0.5 * vol * vol * spot * spot * v.Gamma;
        const double dv = 1e-4, dr = 1e-4;
        double vega = vol > dv
            ? (Price(right, spot, strike, t, r, q, vol + dv) - Price(right, spot, strike, t, r, q, vol - dv)) / (2 * dv)
            : (Price(right, spot, strike, t, r, q, vol + dv) - v.Price) / dv;
        double rho = (Price(right, spot, strike, t, r + dr, q, vol) - Price(right, spot, strike, t, r - dr, q, vol)) / (2 * dr);
        return new OptionGreeks(v.Price, v.Delta, v.Gamma, vega, theta, rho);
    }

    private static AmericanValue Intrinsic(OptionRight right, double spot, double strike, OptionGreeks european)
    {
        // zero vol: exercise now if that beats the deterministic European value
        double now = right == OptionRight.Call ? spot - strike : strike - spot;
        if (now >= european.Price && now > 0) return new AmericanValue(now, right == OptionRight.Call ? 1 : -1, 0);
        return new AmericanValue(european.Price, european.Delta, european.Gamma);
    }

    // American put from the unit-strike boundary (scaled by K): European value plus the early-exercise premium
    // ∫₀ᵀ [rK e^{−r(T−u)} Φ(−d₋) − qS e^{−q(T−u)} Φ(−d₊)] du, d± = d±(T−u, S/B(u)); delta and gamma by
    // differentiating under the integral
    private static AmericanValue Put(double spot, double strike, in ExerciseBoundary boundary)
    {
        double r = boundary.R, q = boundary.Q, vol = boundary.Vol, t = boundary.T;
        double lnS = Math.Log(spot / strike);
        if (lnS <= boundary.LnBoundary(t)) return new AmericanValue(strike - spot, -1, 0);
        var e = BlackScholes.Greeks(OptionRight.Put, spot, strike, t, r, q, vol);
        double sqrtT = Math.Sqrt(t);
        double drift = r - q + 0.5 * vol * vol;
        var nodes = Premium.Nodes;
        var weights = Premium.Weights;
        double price = 0, delta = 0, gamma = 0;
        for (int k = 0; k < nodes.Length; k++)
        {
            // T − u = s², s = √T (1 + y)/2, du = s √T dy
            double s = 0.5 * sqrtT * (1 + nodes[k]);
            double dt = s * s;
            double sd = vol * s;
            double dp = (lnS - boundary.LnBoundary(t - dt) + drift * dt) / sd;
            double dm = dp - sd;
            double pdfP = Normal.Pdf(dp), pdfM = Normal.Pdf(dm);
            double kr = r * strike * Math.Exp(-r * dt), sq = q * Math.Exp(-q * dt);
            double w = weights[k] * sqrtT;
            price += w * s * (kr * Normal.Cdf(-dm, pdfM) - sq * spot * Normal.Cdf(-dp, pdfP));
            delta += w * (-kr * pdfM / (spot * vol) + sq * pdfP / vol - s * sq * Normal.Cdf(-dp, pdfP));
            gamma += w * (kr * pdfM / (vol * spot * spot) * (dm / sd + 1) - sq * pdfP * dp / (spot * vol * sd) + sq * pdfP / (spot * vol));
        }
        return new AmericanValue(e.Price + price, e.Delta + delta, e.Gamma + gamma);
    }
}
