using System.Runtime.CompilerServices;

namespace Streamer.Rules.Pricing;

/// <summary>Chebyshev coefficients of the boundary, inline so the solve never allocates.</summary>
[InlineArray(Nodes)]
internal struct BoundaryCoefficients
{
    public const int Nodes = ExerciseBoundary.ChebyshevIntervals + 1;
    private double _element0;
}

/// <summary>
/// The early-exercise boundary of an American put with unit strike, after Andersen, Lake and
/// Offengenden ("High-performance American option pricing", 2016): QD+ (Li 2010) as the first
/// guess at the Chebyshev nodes, then fixed-point iterations of the FP-B equation
/// B(τ) = K e^{−(r−q)τ} N(τ, B) / D(τ, B) with Gauss–Legendre integrals, the boundary carried as
/// H(ξ) = ln(B/X)² interpolated in ξ = 2√(τ/T) − 1 (smooth there, so few nodes suffice).
/// Fixed size, lives on the stack: no allocation.
/// </summary>
internal struct ExerciseBoundary
{
    public const int ChebyshevIntervals = 6;
    private const int Nodes = ChebyshevIntervals + 1;
    private const int MaxIterations = 12;
    private const double Tolerance = 1e-5;

    private static readonly GaussLegendre Integration = new(16);
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

        // the quadrature points of every node stay put across iterations: tabulate what depends only on
        // them (s = √(τ−u), e^{ru}, e^{qu}, the Chebyshev basis at ξ(u)) so an iteration is dot products
        int points = Integration.Nodes.Length;
        int count = ChebyshevIntervals * points;
        Span<double> sq = stackalloc double[count];
        Span<double> eru = stackalloc double[count];
        Span<double> equ = stackalloc double[count];
        Span<double> basis = stackalloc double[count * Nodes];
        for (int i = 0; i < ChebyshevIntervals; i++)
        {
            double sqrtTau = Math.Sqrt(tau[i]);
            for (int k = 0; k < points; k++)
            {
                int at = i * points + k;
                double sk = 0.5 * sqrtTau * (1 + Integration.Nodes[k]);
                double u = tau[i] - sk * sk;
                sq[at] = sk;
                eru[at] = Math.Exp(r * u);
                equ[at] = Math.Exp(q * u);
                double xi = 2 * Math.Sqrt(u / t) - 1;
                var row = basis.Slice(at * Nodes, Nodes);
                row[0] = 1;
                row[1] = xi;
                for (int j = 2; j < Nodes; j++) row[j] = 2 * xi * row[j - 1] - row[j - 2];
            }
        }
        for (int iter = 0; iter < MaxIterations; iter++)
        {
            boundary.Fit(b);
            double change = 0;
            for (int i = 0; i < ChebyshevIntervals; i++)
            {
                int from = i * points;
                next[i] = Math.Min(boundary.FixedPointB(tau[i], b[i], sq.Slice(from, points), eru.Slice(from, points),
                    equ.Slice(from, points), basis.Slice(from * Nodes, points * Nodes)), boundary.X);
                change = Math.Max(change, Math.Abs(next[i] - b[i]));
            }
            next.CopyTo(b);
            boundary.Iterations = iter + 1;
            if (change < Tolerance) break;
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

    // one FP-B step at node τ with current boundary value bTau (ALO eq. FP-B); the integrals over
    // u in [0, τ] with τ − u = s², s = √τ (1 + y)/2, du = s √τ dy, on the tabulated points
    private readonly double FixedPointB(double tau, double bTau, ReadOnlySpan<double> sq, ReadOnlySpan<double> eru,
        ReadOnlySpan<double> equ, ReadOnlySpan<double> basis)
    {
        double r = R, q = Q, vol = Vol;
        double sqrtTau = Math.Sqrt(tau);
        double lnB = Math.Log(bTau);
        double sdT = vol * sqrtTau;
        double drift = r - q + 0.5 * vol * vol;
        double dp0 = (lnB + drift * tau) / sdT;
        double dm0 = dp0 - sdT;
        double pdfP0 = Normal.Pdf(dp0);
        double n = Normal.Pdf(dm0) / sdT;
        double d = pdfP0 / sdT + Normal.Cdf(dp0, pdfP0);
        var weights = Integration.Weights;
        ReadOnlySpan<double> coef = Coef;
        double sumN = 0, sumD = 0;
        for (int k = 0; k < sq.Length; k++)
        {
            var row = basis.Slice(k * Nodes, Nodes);
            double h = 0;
            for (int j = 0; j < Nodes; j++) h = Math.FusedMultiplyAdd(coef[j], row[j], h);
            double m = lnB - LnX + Math.Sqrt(Math.Max(h, 0));
            double s = sq[k];
            double sd = vol * s;
            double dt = s * s;
            double dp = (m + drift * dt) / sd;
            double dm = dp - sd;
            double pdfP = Normal.PdfQuick(dp);
            sumN += weights[k] * eru[k] * Normal.PdfQuick(dm);
            sumD += weights[k] * equ[k] * (pdfP / vol + s * Normal.Cdf(dp, pdfP));
        }
        n += r * sqrtTau / vol * sumN;
        d += q * sqrtTau * sumD;
        double next = Math.Exp(-(r - q) * tau) * n / d;
        // vanishing vol: both sides underflow; keep the current value rather than spread a NaN
        return next > 0 && double.IsFinite(next) ? next : bTau;
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
        // F < 0 deep in the money, F > 0 at X: Illinois regula falsi inside the bracket, from the warm start
        double hi = x, fHi = QdPlusEquation(hi, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
        double lo = Math.Min(start, x) * 0.97, fLo = QdPlusEquation(lo, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
        for (int i = 0; i < 40 && fLo > 0; i++)
        {
            hi = lo; fHi = fLo;
            lo *= 0.8;
            fLo = QdPlusEquation(lo, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
        }
        if (!(fLo < 0 && fHi > 0)) return Math.Min(start, x);
        int side = 0;
        double s = lo;
        for (int i = 0; i < 60 && hi - lo > 1e-5 * x; i++)
        {
            s = (lo * fHi - hi * fLo) / (fHi - fLo);
            double f = QdPlusEquation(s, tau, r, q, vol, h, alpha, omega, lambda, lambdaPrime);
            if (f < 0)
            {
                lo = s; fLo = f;
                if (side == -1) fHi *= 0.5;
                side = -1;
            }
            else
            {
                hi = s; fHi = f;
                if (side == 1) fLo *= 0.5;
                side = 1;
            }
            if (Math.Abs(f) < 1e-7) break; // a first guess: the fixed point does the rest
        }
        return s;
    }

    private static double QdPlusEquation(double s, double tau, double r, double q, double vol, double h, double alpha, double omega, double lambda, double lambdaPrime)
    {
        var p = BlackScholes.Greeks(Instruments.OptionRight.Put, s, 1.0, tau, r, q, vol);
        double exercise = 1 - s - p.Price;
        double dqPhi = -p.Delta; // e^{−qτ}Φ(−d₁)
        double denom = 2 * lambda + omega - 1;
        double c0 = exercise > 0
            ? -((1 - h) * alpha / denom) * (1 / h - p.Theta / (r * exercise) + lambdaPrime / denom)
            : 0;
        return (1 - dqPhi) * s + (lambda + c0) * exercise;
    }
}
