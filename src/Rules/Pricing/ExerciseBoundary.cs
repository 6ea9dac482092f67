using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Streamer.Rules.Pricing;

/// <summary>Chebyshev coefficients of the boundary, inline so the solve never allocates.</summary>
[InlineArray(ExerciseBoundary.Nodes)]
internal struct BoundaryCoefficients
{
    private double _element0;
}

/// <summary>
/// The early-exercise boundary of an American put with unit strike, after Andersen, Lake and
/// Offengenden ("High-performance American option pricing", 2016): QD+ (Li 2010) as the first
/// guess at the Chebyshev nodes, then fixed-point iterations of the FP-B equation
/// B(τ) = K e^{−(r−q)τ} N(τ, B) / D(τ, B) with Gauss–Legendre integrals, the boundary carried as
/// H(ξ) = ln(B/X)² interpolated in ξ = 2√(τ/T) − 1 (smooth there, so few nodes suffice).
/// The integrals over u ∈ [0, τ] use u = τ sin²θ: τ − u = τ cos²θ cancels the 1/√(τ−u) kernel and
/// √u = √τ sinθ the √u shape of B near expiry, so the integrands are smooth in θ and six points do.
/// Every quadrature point is a fixed fraction of T, so the points, weights and Chebyshev basis are
/// static tables; an iteration is four-lane vector arithmetic over all 36 points at once.
/// Fixed size, lives on the stack: no allocation.
/// </summary>
internal struct ExerciseBoundary
{
    public const int ChebyshevIntervals = 6;
    public const int Nodes = ChebyshevIntervals + 1;
    public const int FixedPointPoints = 6;
    private const int Points = ChebyshevIntervals * FixedPointPoints; // 36: a whole number of 4-lane vectors
    private const int MaxIterations = 12;
    private const double Tolerance = 1e-5;
    private const double QdTolerance = 1e-7;
    private const double InvSqrt2Pi = NormalVector.InvSqrt2Pi;

    // cos(iπ/n): the Chebyshev–Lobatto nodes and the interpolation matrix cos(ikπ/n)
    private static readonly double[] ChebCos = BuildCos();
    // per node i: √(τ_i/T) = (1 + cos(iπ/n))/2
    private static readonly double[] NodeRoot = new double[Nodes];
    // per point (node i, θ_k): s/√T = √(τ_i/T) cosθ_k, u/T = (τ_i/T) sin²θ_k, the weight (π/2) w_k sinθ_k √(τ_i/T)
    private static readonly double[] PointS = new double[Points];
    private static readonly double[] PointU = new double[Points];
    private static readonly double[] PointW = new double[Points];
    // Chebyshev basis T_j(ξ(u)) at every point, column-major (j * Points + point) for vector loads
    private static readonly double[] PointBasis = new double[Nodes * Points];

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
    public int QdEvaluations;

    static ExerciseBoundary()
    {
        var gl = new GaussLegendre(FixedPointPoints);
        for (int i = 0; i < Nodes; i++) NodeRoot[i] = 0.5 * (1 + ChebCos[i * Nodes + 1]);
        for (int i = 0; i < ChebyshevIntervals; i++)
        {
            for (int k = 0; k < FixedPointPoints; k++)
            {
                int at = i * FixedPointPoints + k;
                double theta = Math.PI / 4 * (1 + gl.Nodes[k]);
                double sin = Math.Sin(theta);
                PointS[at] = NodeRoot[i] * Math.Cos(theta);
                PointU[at] = NodeRoot[i] * NodeRoot[i] * sin * sin;
                PointW[at] = gl.Weights[k] * Math.PI / 2 * sin * NodeRoot[i];
                double xi = 2 * NodeRoot[i] * sin - 1;
                FillBasis(PointBasis, at, Points, xi);
            }
        }
    }

    private static double[] BuildCos()
    {
        var c = new double[Nodes * Nodes];
        for (int i = 0; i < Nodes; i++)
            for (int k = 0; k < Nodes; k++)
                c[i * Nodes + k] = Math.Cos(Math.PI * i * k / ChebyshevIntervals);
        return c;
    }

    /// <summary>T_0..T_n(ξ) into column <paramref name="at"/> of a column-major basis table.</summary>
    internal static void FillBasis(double[] basis, int at, int stride, double xi)
    {
        double t0 = 1, t1 = xi;
        basis[at] = t0;
        basis[stride + at] = t1;
        for (int j = 2; j < Nodes; j++)
        {
            double t2 = 2 * xi * t1 - t0;
            basis[j * stride + at] = t2;
            t0 = t1;
            t1 = t2;
        }
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

        Span<double> b = stackalloc double[Nodes];
        b[ChebyshevIntervals] = boundary.X;
        double guess = boundary.X;
        for (int i = ChebyshevIntervals - 1; i >= 0; i--)
        {
            guess = QdPlus(t * NodeRoot[i] * NodeRoot[i], r, q, vol, boundary.X, guess, ref boundary.QdEvaluations);
            b[i] = guess;
        }

        // e^{qu} at every point, once per solve
        Span<double> equ = stackalloc double[Points];
        Span<double> m0 = stackalloc double[Points];
        Span<double> termN = stackalloc double[Points];
        Span<double> termD = stackalloc double[Points];
        var qT = Vector256.Create(q * t);
        ReadOnlySpan<double> pointU = PointU;
        for (int at = 0; at < Points; at += 4)
            Vector256.Exp(qT * Vector256.Create(pointU.Slice(at, 4))).CopyTo(equ.Slice(at, 4));

        for (int iter = 0; iter < MaxIterations; iter++)
        {
            boundary.Fit(b);
            for (int i = 0; i < ChebyshevIntervals; i++)
                m0.Slice(i * FixedPointPoints, FixedPointPoints).Fill(Math.Log(b[i]));
            boundary.Integrands(m0, equ, termN, termD);
            double change = 0;
            for (int i = 0; i < ChebyshevIntervals; i++)
            {
                double next = Math.Min(boundary.FixedPointB(t * NodeRoot[i] * NodeRoot[i], b[i],
                    termN.Slice(i * FixedPointPoints, FixedPointPoints), termD.Slice(i * FixedPointPoints, FixedPointPoints)), boundary.X);
                change = Math.Max(change, Math.Abs(next - b[i]));
                b[i] = next;
            }
            boundary.Iterations = iter + 1;
            if (change < Tolerance) break;
        }
        boundary.Fit(b);
    }

    private void Fit(ReadOnlySpan<double> b)
    {
        const int n = ChebyshevIntervals;
        Span<double> h = stackalloc double[Nodes];
        for (int i = 0; i < Nodes; i++)
        {
            double g = Math.Log(b[i]) - LnX;
            h[i] = g * g;
        }
        for (int k = 0; k < Nodes; k++)
        {
            double sum = 0.5 * (h[0] * ChebCos[k] + h[n] * ChebCos[n * Nodes + k]);
            for (int i = 1; i < n; i++) sum += h[i] * ChebCos[i * Nodes + k];
            double a = 2.0 / n * sum;
            Coef[k] = k == 0 || k == n ? 0.5 * a : a;
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

    /// <summary>ln B at four points given their Chebyshev basis columns (column-major, <paramref name="stride"/> apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<double> LnBoundary(ReadOnlySpan<double> basis, int at, int stride)
    {
        var h = Vector256<double>.Zero;
        for (int j = 0; j < Nodes; j++)
            h = Vector256.FusedMultiplyAdd(Vector256.Create(Coef[j]), Vector256.Create(basis.Slice(j * stride + at, 4)), h);
        return Vector256.Create(LnX) - Vector256.Sqrt(Vector256.Max(h, Vector256<double>.Zero));
    }

    /// <summary>The boundary at maturity T (today), unit strike.</summary>
    public readonly double AtMaturity => Math.Exp(LnBoundary(T));

    // the FP-B integrands at every point, weighted (ALO eq. FP-B; u = τ sin²θ, s = √(τ−u) = √τ cosθ):
    //   N: (2√τ/σ) r e^{ru} φ(d₋(s², B(τ)/B(u))) sinθ dθ,   D: 2√τ q e^{qu} [φ(d₊)/σ + s Φ(d₊)] sinθ dθ
    private readonly void Integrands(ReadOnlySpan<double> m0, ReadOnlySpan<double> equ, Span<double> termN, Span<double> termD)
    {
        double r = R, q = Q, vol = Vol, t = T;
        double sqrtT = Math.Sqrt(t);
        var volSqrtT = Vector256.Create(vol * sqrtT);
        var driftT = Vector256.Create((r - q + 0.5 * vol * vol) * t);
        var rT = Vector256.Create(r * t);
        var half = Vector256.Create(-0.5);
        var invVol = Vector256.Create(1 / vol);
        var nScale = Vector256.Create(r * sqrtT / vol * InvSqrt2Pi);
        var dScale = Vector256.Create(q * sqrtT);
        var invSqrt2Pi = Vector256.Create(InvSqrt2Pi);
        ReadOnlySpan<double> pointS = PointS, pointU = PointU, pointW = PointW;
        for (int at = 0; at < Points; at += 4)
        {
            var lnB = LnBoundary(PointBasis, at, Points); // ln B(u)
            var m = Vector256.Create(m0.Slice(at, 4)) - lnB; // ln B(τ)/B(u)
            var c = Vector256.Create(pointS.Slice(at, 4));
            var sd = volSqrtT * c;
            var dp = (m + driftT * c * c) / sd;
            var dm = dp - sd;
            var w = Vector256.Create(pointW.Slice(at, 4));
            var u = Vector256.Create(pointU.Slice(at, 4));
            // e^{ru} φ(d₋) in one exponential
            var n = NormalVector.Exp(rT * u + half * dm * dm);
            var pdfP = NormalVector.Exp(half * dp * dp) * invSqrt2Pi;
            var cdfP = NormalVector.Cdf(dp, pdfP);
            (nScale * w * n).CopyTo(termN.Slice(at, 4));
            (dScale * w * Vector256.Create(equ.Slice(at, 4)) * (pdfP + sd * cdfP) * invVol).CopyTo(termD.Slice(at, 4));
        }
    }

    // one FP-B step at node τ: the closed-form parts at u = 0 plus the integrals from the weighted point terms
    private readonly double FixedPointB(double tau, double bTau, ReadOnlySpan<double> termN, ReadOnlySpan<double> termD)
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
        for (int k = 0; k < termN.Length; k++)
        {
            n += termN[k];
            d += termD[k];
        }
        double next = Math.Exp(-(r - q) * tau) * n / d;
        // vanishing vol: both sides underflow; keep the current value rather than spread a NaN
        return next > 0 && double.IsFinite(next) ? next : bTau;
    }

    /// <summary>
    /// Li's QD+ boundary at τ (unit strike), in the division-free form of QuantLib's QdPlusAmericanEngine:
    /// f(S) = (1 − e^{−qτ}Φ(−d₊))S − β(1 − S − p) + (α/e^{−rτ})θ = 0, solved by Halley steps with the
    /// analytic f′ and f″ from a warm start (the previous node's value), kept inside the bracket by bisection.
    /// </summary>
    private static double QdPlus(double tau, double r, double q, double vol, double x, double start, ref int evaluations)
    {
        double v2 = vol * vol;
        double v = vol * Math.Sqrt(tau);
        double dr = Math.Exp(-r * tau), dq = Math.Exp(-q * tau);
        double ddr = Math.Abs(r * tau) > 1e-5 ? r / (1 - dr) : 1 / (tau * (1 - 0.5 * r * tau * (1 - r * tau / 3)));
        double omega = 2 * (r - q) / v2;
        double root = Math.Sqrt((omega - 1) * (omega - 1) + 8 * ddr / v2);
        double lambda = 0.5 * (-(omega - 1) - root);
        double lambdaPrime = 2 * ddr * ddr / (v2 * root);
        double denom = 2 * lambda + omega - 1;
        double alpha = 2 * dr / (v2 * denom);
        double beta = alpha * (ddr + lambdaPrime / denom) - lambda;
        double alphaOverDr = alpha / dr;
        double lnDfRatio = Math.Log(dq / dr);
        double s = Math.Min(start, x);
        double lo = 0, hi = x;
        for (int i = 0; i < 20; i++)
        {
            evaluations++;
            double dp = (Math.Log(s) + lnDfRatio) / v + 0.5 * v;
            double dm = dp - v;
            double phiP = Normal.Pdf(dp);
            double phiM = phiP * s * dq / dr; // φ(d₋) = φ(d₊)·S e^{−qτ}/(K e^{−rτ})
            double cP = Normal.Cdf(-dp, phiP), cM = Normal.Cdf(-dm, phiM);
            double npv = dr * cM - s * dq * cP;
            double theta = r * dr * cM - q * s * dq * cP - v2 * s / (2 * v) * dq * phiP;
            double charm = -dq * (phiP * ((r - q) / v - dm / (2 * tau)) + q * cP);
            double f = (1 - dq * cP) * s - beta * (1 - s - npv) + alphaOverDr * theta;
            double f1 = 1 - dq * cP + dq / v * phiP + beta * (1 - dq * cP) + alphaOverDr * charm;
            double gamma = phiP * dq / (v * s);
            double colour = gamma * (q + (r - q) * dp / v + (1 - dp * dm) / (2 * tau));
            double f2 = dq * (phiP / (s * v) - phiP * dp / (s * v * v)) + beta * gamma + alphaOverDr * colour;
            if (f > 0) hi = s; else lo = s;
            double lf = f * f2 / (f1 * f1);
            double next = s - f / f1 / (1 - 0.5 * lf);
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            bool done = Math.Abs(next - s) < QdTolerance * x;
            s = next;
            if (done) break;
        }
        return s;
    }
}
