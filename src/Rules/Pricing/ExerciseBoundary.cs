using System.Runtime.CompilerServices;

namespace Streamer.Rules.Pricing;

/// <summary>
/// The early-exercise boundary of an American put with unit strike, after Andersen, Lake and
/// Offengenden ("High-performance American option pricing", 2016): QD+ (Li 2010) as the first
/// guess at the Chebyshev nodes, then fixed-point iterations of the FP-B equation
/// B(τ) = K e^{−(r−q)τ} N(τ, B) / D(τ, B) with Gauss–Legendre integrals, the boundary carried as
/// H(ξ) = ln(B/X)² interpolated in ξ = 2√(τ/T) − 1 (smooth there, so few nodes suffice).
/// Fixed size, lives on the stack: no allocation.
/// </summary>
[InlineArray(Nodes)]
internal struct BoundaryCoefficients
{
    public const int Nodes = ExerciseBoundary.ChebyshevIntervals + 1;
    private double _element0;
}

internal struct ExerciseBoundary
{
    public const int ChebyshevIntervals = 12;
    private const int Nodes = ChebyshevIntervals + 1;
    private const int MaxIterations = 12;

    private static readonly GaussLegendre Integration = new(24);
    // cos(iπ/n): the Chebyshev–Lobatto nodes and the interpolation matrix cos(ikπ/n)
    private static readonly double[] ChebCos = BuildCos();

    /// <summary>X = B(0⁺) = min(1, r/q) for unit strike.</summary>
    public double X;
    public double LnX;
    public double T;
    public double Vol;
    public double R;
    public double Q;
    /// <summary>H(ξ) Chebyshev coefficients with the first and last halved (plain Clenshaw sum).</summary>
    public BoundaryCoefficients Coef;
    public int Iterations;

    private static double[] BuildCos()
    {
        var c = new double[Nodes * Nodes];
        for (int i = 0; i < Nodes; i++)
            for (int k = 0; k < Nodes; k++)
                c[i * Nodes + k] = Math.Cos(Math.PI * i * k / ChebyshevIntervals);
        return c;
    }

    /// <summary>Solve the unit-strike put boundary; requires r &gt; 0 (else early exercise never pays).</summary>
    public static void Solve(double r, double q, double vol, double t, out ExerciseBoundary boundary)
    {
        boundary = default;
        boundary.R = r;
        boundary.Q = q;
        boundary.Vol = vol;
        boundary.T = t;
        boundary.X = q > 0 ? Math.Min(1.0, r / q) : 1.0;
        boundary.LnX = Math.Log(boundary.X);

        Span<double> tau = stackalloc double[Nodes];
        Span<double> b = stackalloc double[Nodes];
        Span<double> next = stackalloc double[Nodes];
        for (int i = 0; i < Nodes; i++)
        {
            double xi = ChebCos[i * Nodes + 1];
            tau[i] = 0.25 * t * (1 + xi) * (1 + xi);
        }
        tau[ChebyshevIntervals] = 0;
        b[ChebyshevIntervals] = boundary.X;
        double guess = boundary.X;
        for (int i = ChebyshevIntervals - 1; i >= 0; i--)
        {
            guess = QdPlus(tau[i], r, q, vol, boundary.X, guess);
            b[i] = guess;
        }
        next[ChebyshevIntervals] = boundary.X;
        for (int iter = 0; iter < MaxIterations; iter++)
        {
            boundary.Fit(b);
            double change = 0;
            for (int i = 0; i < ChebyshevIntervals; i++)
            {
                next[i] = Math.Min(boundary.FixedPointB(tau[i], b[i]), boundary.X);
                change = Math.Max(change, Math.Abs(next[i] - b[i]));
            }
            next.CopyTo(b);
            boundary.Iterations = iter + 1;
            if (change < 1e-11) break;
        }
        boundary.Fit(b);
    }

    private void Fit(ReadOnlySpan<double> b)
    {
        Span<double> h = stackalloc double[Nodes];
        for (int i = 0; i < Nodes; i++)
        {
            double g = Math.Log(b[i]) - LnX;
            h[i] = g * g;
        }
        for (int k = 0; k < Nodes; k++)
        {
            double sum = 0.5 * (h[0] * ChebCos[k] + h[ChebyshevIntervals] * ChebCos[ChebyshevIntervals * Nodes + k]);
            for (int i = 1; i < ChebyshevIntervals; i++) sum += h[i] * ChebCos[i * Nodes + k];
            double a = 2.0 / ChebyshevIntervals * sum;
            Coef[k] = k == 0 || k == ChebyshevIntervals ? 0.5 * a : a;
        }
    }

    /// <summary>ln B(u) for time to maturity u in [0, T].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly double LnBoundary(double u)
    {
        double xi = 2 * Math.Sqrt(u / T) - 1;
        double b1 = 0, b2 = 0, x2 = 2 * xi;
        for (int k = ChebyshevIntervals; k >= 1; k--)
        {
            double b0 = Math.FusedMultiplyAdd(x2, b1, Coef[k] - b2);
            b2 = b1;
            b1 = b0;
        }
        double h = Math.FusedMultiplyAdd(xi, b1, Coef[0] - b2);
        return LnX - Math.Sqrt(Math.Max(h, 0));
    }

    /// <summary>The boundary at maturity T (today), unit strike.</summary>
    public readonly double AtMaturity => Math.Exp(LnBoundary(T));

    // one FP-B step at node τ with current boundary value bTau (ALO eq. FP-B)
    private readonly double FixedPointB(double tau, double bTau)
    {
        double r = R, q = Q, vol = Vol;
        double sqrtTau = Math.Sqrt(tau);
        double lnB = Math.Log(bTau);
        double sdT = vol * sqrtTau;
        double dp0 = (lnB + (r - q + 0.5 * vol * vol) * tau) / sdT;
        double dm0 = dp0 - sdT;
        double pdfP0 = Normal.Pdf(dp0);
        double n = Normal.Pdf(dm0) / sdT;
        double d = pdfP0 / sdT + Normal.Cdf(dp0, pdfP0);
        double drift = r - q + 0.5 * vol * vol;
        var nodes = Integration.Nodes;
        var weights = Integration.Weights;
        double sumN = 0, sumD = 0;
        for (int k = 0; k < nodes.Length; k++)
        {
            // τ − u = s², s = √τ (1 + y)/2, du = s √τ dy
            double s = 0.5 * sqrtTau * (1 + nodes[k]);
            double dt = s * s;
            double u = tau - dt;
            double m = lnB - LnBoundary(u);
            double sd = vol * s;
            double dp = (m + drift * dt) / sd;
            double dm = dp - sd;
            double pdfP = Normal.Pdf(dp);
            double eru = Math.Exp(r * u), equ = Math.Exp(q * u);
            sumN += weights[k] * eru * Normal.Pdf(dm);
            sumD += weights[k] * equ * (pdfP / vol + s * Normal.Cdf(dp, pdfP));
        }
        n += r * sqrtTau / vol * sumN;
        d += q * sqrtTau * sumD;
        return Math.Exp(-(r - q) * tau) * n / d;
    }

    /// <summary>
    /// Li's QD+ boundary at τ (unit strike): solves
    /// (1 − e^{−qτ}Φ(−d₁))·S + (λ + c₀)(1 − S − p(S)) = 0 by secant steps from a warm start.
    /// </summary>
    private static double QdPlus(double tau, double r, double q, double vol, double x, double start)
    {
        double v2 = vol * vol;
        double h = 1 - Math.Exp(-r * tau);
        double alpha = 2 * r / v2, omega = 2 * (r - q) / v2;
        double root = Math.Sqrt((omega - 1) * (omega - 1) + 4 * alpha / h);
        double lambda = 0.5 * (-(omega - 1) - root);
        double lambdaPrime = alpha / (h * h * root);
        double s0 = Math.Min(start, x) * 0.999999, f0 = QdPlusEquation(s0, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
        double s1 = s0 * 0.98, f1 = QdPlusEquation(s1, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
        for (int i = 0; i < 30 && double.IsFinite(f1) && f1 != f0; i++)
        {
            double s2 = s1 - f1 * (s1 - s0) / (f1 - f0);
            if (!(s2 > 0)) s2 = 0.5 * s1;
            if (s2 > x) s2 = 0.5 * (s1 + x);
            s0 = s1; f0 = f1;
            s1 = s2;
            if (Math.Abs(s1 - s0) < 1e-10 * x) break;
            f1 = QdPlusEquation(s1, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
        }
        return s1 > 0 && s1 <= x && double.IsFinite(s1) ? s1 : Math.Min(start, x);
    }

    private static double QdPlusEquation(double s, double tau, double r, double q, double vol, double h, double alpha, double omega, double lambda, double lambdaPrime)
    {
        var p = BlackScholes.Greeks(Instruments.OptionRight.Put, s, 1.0, tau, r, q, vol);
        double exercise = 1 - s - p.Price;
        double dqPhi = -p.Delta; // e^{−qτ}Φ(−d₁)
        double denom = 2 * lambda + omega - 1;
        double c0 = exercise > 0
            ? -((1 - h) * alpha / denom) * (1 / h - Math.Exp(r * tau) * p.Theta / (r * exercise) + lambdaPrime / denom)
            : 0;
        return (1 - dqPhi) * s + (lambda + c0) * exercise;
    }
}
