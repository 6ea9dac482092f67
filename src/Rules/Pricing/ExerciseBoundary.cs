using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Streamer.Rules.Pricing;

/// <summary>
/// The early-exercise boundary of an American put with unit strike, after Andersen, Lake and
/// Offengenden ("High-performance American option pricing", 2016): QD+ (Li 2010) as the first
/// guess at the Chebyshev nodes, then fixed-point iterations of the FP-B equation
/// B(τ) = K e^{−(r−q)τ} N(τ, B) / D(τ, B) with Gauss–Legendre integrals, the boundary carried as
/// H(ξ) = ln(B/X)² interpolated in ξ = 2√(τ/T) − 1 (smooth there, so few nodes suffice).
/// The integrals over u ∈ [0, τ] use u = τ sin²θ: τ − u = τ cos²θ cancels the 1/√(τ−u) kernel and
/// √u = √τ sinθ the √u shape of B near expiry, so the integrands are smooth in θ and six points do.
/// Every quadrature point is a fixed fraction of T, so the points, weights and Chebyshev basis are
/// static tables; an iteration is four-lane vector arithmetic over all 36 points at once. Nodes where
/// the map is steep (low vol, high rates: plain steps oscillate there) take ALO's Jacobi–Newton step.
/// Fixed size, lives on the stack: no allocation.
/// </summary>
internal struct ExerciseBoundary
{
    public const int ChebyshevIntervals = 6;
    public const int Nodes = ChebyshevIntervals + 1;
    public const int FixedPointPoints = 6;
    private const int Points = ChebyshevIntervals * FixedPointPoints; // 36: a whole number of 4-lane vectors
    private const int MaxIterations = 8;
    private const double Tolerance = 1e-5;
    // nodes where the FP-B map is steep (|∂f/∂B(τ)| above this) take a Jacobi–Newton step instead of the plain one
    private const double NewtonThreshold = 0.8;
    internal const double BumpTolerance = 1e-6;
    private const double QdTolerance = 1e-3;
    private const double InvSqrt2Pi = NormalVector.InvSqrt2Pi;

    // cos(iπ/n): the Chebyshev–Lobatto nodes and the interpolation matrix cos(ikπ/n)
    private static readonly double[] ChebCos = BuildCos();
    // per node i: √(τ_i/T) = (1 + cos(iπ/n))/2, and τ_i/T for the six interior nodes padded to eight lanes
    private static readonly double[] NodeRoot = new double[Nodes];
    private static readonly double[] NodeTau = new double[8];
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
    /// <summary>B at the six interior nodes (lanes 6 and 7 repeat node 5): the start of a bumped re-solve.</summary>
    public NodeValues NodeValues;
    public int Iterations;
    public int QdEvaluations;

    static ExerciseBoundary()
    {
        var gl = new GaussLegendre(FixedPointPoints);
        for (int i = 0; i < Nodes; i++) NodeRoot[i] = 0.5 * (1 + ChebCos[i * Nodes + 1]);
        for (int i = 0; i < 8; i++) NodeTau[i] = NodeRoot[Math.Min(i, ChebyshevIntervals - 1)] * NodeRoot[Math.Min(i, ChebyshevIntervals - 1)];
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
        => Solve(r, q, vol, t, out boundary, default, 0);

    /// <summary>
    /// Re-solve for nearby parameters (same T) from a solved boundary instead of QD+: a bumped solve for a
    /// finite-difference Greek. With <paramref name="iterations"/> &gt; 0 exactly that many fixed-point steps
    /// (so both sides of a central difference take the same count and the quotient stays smooth in the
    /// bump); with 0, until no node moves by more than <see cref="BumpTolerance"/> (the count is in
    /// <see cref="Iterations"/>).
    /// </summary>
    public static void SolveFrom(in ExerciseBoundary start, double r, double q, double vol, int iterations, out ExerciseBoundary boundary)
        => Solve(r, q, vol, start.T, out boundary, start.NodeValues, iterations == 0 ? -1 : iterations);

    /// <summary>As <see cref="SolveFrom(in ExerciseBoundary, double, double, double, int, out ExerciseBoundary)"/>
    /// from the reflection 2·B₀ − B₊ of an up-bumped solve through the base one: the down-bump's boundary to O(h²).</summary>
    public static void SolveReflected(in ExerciseBoundary baseBoundary, in ExerciseBoundary up, double r, double q, double vol, int iterations,
        out ExerciseBoundary boundary)
    {
        NodeValues start = default;
        for (int i = 0; i < 8; i++) start[i] = Math.Max(2 * baseBoundary.NodeValues[i] - up.NodeValues[i], 0.5 * baseBoundary.NodeValues[i]);
        Solve(r, q, vol, baseBoundary.T, out boundary, start, iterations == 0 ? -1 : iterations);
    }

    /// <summary>
    /// The boundary for (r, q, vol, t) started from a solved one of the same r and q — a leg's last boundary,
    /// or the previous step of an implied-vol solve — instead of from QD+: B(τ) does not depend on the
    /// option's own maturity, only its Chebyshev nodes do, so for t ≤ <paramref name="previous"/>.T the start is
    /// the previous boundary read at the new nodes (for a later maturity, its node values as they are).
    /// Iterates until no node moves by more than <see cref="WarmTolerance"/>: tighter than the cold solve's,
    /// so the price is a smooth function of vol to well below what an implied-vol solve resolves, whatever the start.
    /// </summary>
    public static void SolveWarm(in ExerciseBoundary previous, double r, double q, double vol, double t, out ExerciseBoundary boundary)
        => SolveWarm(in previous, default, r, q, vol, t, out boundary);

    /// <summary>
    /// As <see cref="SolveWarm(in ExerciseBoundary, double, double, double, double, out ExerciseBoundary)"/>, the start
    /// moved along <paramref name="lnSlope"/> (∂ln B/∂σ at the nodes, from two earlier solves; zero: none) by the vol
    /// change: a start good to second order in it, one or two fewer iterations.
    /// </summary>
    public static void SolveWarm(in ExerciseBoundary previous, in NodeValues lnSlope, double r, double q, double vol, double t, out ExerciseBoundary boundary)
    {
        NodeValues start = default;
        double dVol = vol - previous.Vol;
        if (t <= previous.T)
        {
            for (int i = 0; i < 8; i++) start[i] = Math.Exp(previous.LnBoundary(t * NodeTau[i]) + lnSlope[i] * dVol);
        }
        else
        {
            for (int i = 0; i < 8; i++) start[i] = previous.NodeValues[i] * Math.Exp(lnSlope[i] * dVol);
        }
        Solve(r, q, vol, t, out boundary, start, WarmSolve);
    }

    /// <summary>Node movement below which a warm solve stops: the price then moves by ~1e-9 per share, below a warm IV solve's price tolerance.</summary>
    internal const double WarmTolerance = 1e-8;
    private const int WarmMaxIterations = 16;
    private const int WarmSolve = -2;

    // fixedIterations: 0 = QD+ start and Tolerance; −1 = given start and BumpTolerance; −2 = given start and WarmTolerance; n > 0 = given start, n steps
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Solve(double r, double q, double vol, double t, out ExerciseBoundary boundary, NodeValues start, int fixedIterations)
    {
        boundary = default;
        boundary.R = r;
        boundary.Q = q;
        boundary.Vol = vol;
        boundary.T = t;
        boundary.X = q > 0 ? Math.Min(1.0, r / q) : 1.0;
        boundary.LnX = Math.Log(boundary.X);

        // the six interior nodes in two 4-lane vectors, the last two lanes repeating node 5 (harmless copies)
        var tauLo = Vector256.Create(t) * Vector256.Create(NodeTau, 0);
        var tauHi = Vector256.Create(t) * Vector256.Create(NodeTau, 4);
        var x = Vector256.Create(boundary.X);
        Vector256<double> bLo, bHi;
        if (fixedIterations == 0)
        {
            bLo = QdPlus(tauLo, r, q, vol, boundary.X, ref boundary.QdEvaluations);
            bHi = QdPlus(tauHi, r, q, vol, boundary.X, ref boundary.QdEvaluations);
        }
        else
        {
            ReadOnlySpan<double> from = start;
            bLo = Vector256.Min(Vector256.Create(from), x);
            bHi = Vector256.Min(Vector256.Create(from[4..]), x);
        }

        // e^{qu} at every point, once per solve
        Span<double> equ = stackalloc double[Points];
        Span<double> m0 = stackalloc double[Points];
        Span<double> termN = stackalloc double[Points];
        Span<double> termD = stackalloc double[Points];
        Span<double> termNd = stackalloc double[Points];
        Span<double> termDd = stackalloc double[Points];
        Span<double> sums = stackalloc double[32];
        Span<double> lnb = stackalloc double[8];
        var qT = Vector256.Create(q * t);
        ReadOnlySpan<double> pointU = PointU;
        for (int at = 0; at < Points; at += 4)
            Vector256.Exp(qT * Vector256.Create(pointU.Slice(at, 4))).CopyTo(equ.Slice(at, 4));

        int maxIterations = fixedIterations == WarmSolve ? WarmMaxIterations : fixedIterations <= 0 ? MaxIterations : fixedIterations;
        double tolerance = fixedIterations switch { 0 => Tolerance, -1 => BumpTolerance, WarmSolve => WarmTolerance, _ => 0 };
        for (int iter = 0; iter < maxIterations; iter++)
        {
            var lnbLo = Vector256.Log(bLo);
            var lnbHi = Vector256.Log(bHi);
            lnbLo.CopyTo(lnb);
            lnbHi.CopyTo(lnb[4..]);
            boundary.Fit(lnb);
            for (int i = 0; i < ChebyshevIntervals; i++)
                m0.Slice(i * FixedPointPoints, FixedPointPoints).Fill(lnb[i]);
            boundary.Integrands(m0, equ, termN, termD, termNd, termDd);
            for (int i = 0; i < ChebyshevIntervals; i++)
            {
                double n = 0, d = 0, nd = 0, dd = 0;
                for (int k = 0; k < FixedPointPoints; k++)
                {
                    n += termN[i * FixedPointPoints + k];
                    d += termD[i * FixedPointPoints + k];
                    nd += termNd[i * FixedPointPoints + k];
                    dd += termDd[i * FixedPointPoints + k];
                }
                sums[i] = n;
                sums[8 + i] = d;
                sums[16 + i] = nd;
                sums[24 + i] = dd;
            }
            for (int j = 0; j < 32; j += 8) sums[j + 6] = sums[j + 7] = sums[j + 5];
            var nextLo = Vector256.Min(boundary.FixedPointB(tauLo, bLo, lnbLo, Vector256.Create(sums), Vector256.Create(sums[8..]),
                Vector256.Create(sums[16..]), Vector256.Create(sums[24..])), x);
            var nextHi = Vector256.Min(boundary.FixedPointB(tauHi, bHi, lnbHi, Vector256.Create(sums[4..]), Vector256.Create(sums[12..]),
                Vector256.Create(sums[20..]), Vector256.Create(sums[28..])), x);
            var moved = Vector256.Max(Vector256.Abs(nextLo - bLo), Vector256.Abs(nextHi - bHi));
            double change = Math.Max(Math.Max(moved[0], moved[1]), Math.Max(moved[2], moved[3]));
            bLo = nextLo;
            bHi = nextHi;
            boundary.Iterations = iter + 1;
            if (change < tolerance) break;
        }
        Span<double> values = boundary.NodeValues;
        bLo.CopyTo(values);
        bHi.CopyTo(values[4..]);
        Vector256.Log(bLo).CopyTo(lnb);
        Vector256.Log(bHi).CopyTo(lnb[4..]);
        boundary.Fit(lnb);
    }

    // Chebyshev coefficients of H = (ln B − ln X)² from ln B at the interior nodes (H = 0 at τ = 0)
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Fit(ReadOnlySpan<double> lnb)
    {
        const int n = ChebyshevIntervals;
        Span<double> h = stackalloc double[Nodes];
        for (int i = 0; i < n; i++)
        {
            double g = lnb[i] - LnX;
            h[i] = g * g;
        }
        h[n] = 0;
        for (int k = 0; k < Nodes; k++)
        {
            double sum = 0.5 * h[0] * ChebCos[k];
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

    /// <summary>ln B at four points given their ξ = 2√(u/T) − 1 (Clenshaw): a maturity shorter than the solved T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<double> LnBoundary(Vector256<double> xi)
    {
        var b1 = Vector256<double>.Zero;
        var b2 = Vector256<double>.Zero;
        var x2 = xi + xi;
        for (int k = ChebyshevIntervals; k >= 1; k--)
        {
            var b0 = Vector256.FusedMultiplyAdd(x2, b1, Vector256.Create(Coef[k]) - b2);
            b2 = b1;
            b1 = b0;
        }
        var h = Vector256.FusedMultiplyAdd(xi, b1, Vector256.Create(Coef[0]) - b2);
        return Vector256.Create(LnX) - Vector256.Sqrt(Vector256.Max(h, Vector256<double>.Zero));
    }

    /// <summary>The boundary at maturity T (today), unit strike.</summary>
    public readonly double AtMaturity => Math.Exp(LnBoundary(T));

    // the FP-B integrands at every point, weighted (ALO eq. FP-B; u = τ sin²θ, s = √(τ−u) = √τ cosθ):
    //   N: (2√τ/σ) r e^{ru} φ(d₋(s², B(τ)/B(u))) sinθ dθ,   D: 2√τ q e^{qu} [φ(d₊)/σ + s Φ(d₊)] sinθ dθ
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Integrands(ReadOnlySpan<double> m0, ReadOnlySpan<double> equ, Span<double> termN, Span<double> termD,
        Span<double> termNd, Span<double> termDd)
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
            var tn = nScale * w * n;
            var td = dScale * w * Vector256.Create(equ.Slice(at, 4)) * invVol;
            tn.CopyTo(termN.Slice(at, 4));
            (td * (pdfP + sd * cdfP)).CopyTo(termD.Slice(at, 4));
            // B(τ)·∂/∂B(τ) of both integrands (d± move by 1/sd per unit of ln B(τ))
            (-tn * dm / sd).CopyTo(termNd.Slice(at, 4));
            (td * pdfP * (Vector256<double>.One - dp / sd)).CopyTo(termDd.Slice(at, 4));
        }
    }

    // one FP-B step at four nodes: the closed-form parts at u = 0 plus the integrals from the weighted point sums;
    // where both sides underflow (vanishing vol) the current value is kept rather than spreading a NaN
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly Vector256<double> FixedPointB(Vector256<double> tau, Vector256<double> b, Vector256<double> lnB,
        Vector256<double> sumN, Vector256<double> sumD, Vector256<double> sumNd, Vector256<double> sumDd)
    {
        double r = R, q = Q, vol = Vol;
        var one = Vector256<double>.One;
        var sdT = Vector256.Create(vol) * Vector256.Sqrt(tau);
        var dp0 = (lnB + Vector256.Create(r - q + 0.5 * vol * vol) * tau) / sdT;
        var dm0 = dp0 - sdT;
        var half = Vector256.Create(-0.5);
        var invSqrt2Pi = Vector256.Create(InvSqrt2Pi);
        var pdfP0 = NormalVector.Exp(half * dp0 * dp0) * invSqrt2Pi;
        var pdfM0 = NormalVector.Exp(half * dm0 * dm0) * invSqrt2Pi;
        var n = pdfM0 / sdT + sumN;
        var d = pdfP0 / sdT + NormalVector.Cdf(dp0, pdfP0) + sumD;
        var f = Vector256.Exp(Vector256.Create(q - r) * tau) * n / d;
        // Jacobi–Newton (ALO): B − (B − f)/(1 − f′) with f′ = ∂f/∂B(τ) at this node only
        var bnd = -dm0 * pdfM0 / (sdT * sdT) + sumNd;
        var bdd = pdfP0 / sdT * (one - dp0 / sdT) + sumDd;
        var fPrime = f / b * (bnd / n - bdd / d);
        var jn = b - (b - f) / (one - fPrime);
        // plain steps converge where the map is flat (and the node-only f′ would ignore the coupling through the
        // interpolated B(u) that dominates there); where it is steep — low vol, high rates — plain steps
        // oscillate or diverge and the Newton step is what converges
        var usable = Vector256.GreaterThan(Vector256.Abs(fPrime), Vector256.Create(NewtonThreshold))
            & Vector256.LessThan(fPrime, Vector256.Create(0.9)) & Vector256.GreaterThan(jn, Vector256<double>.Zero);
        var next = Vector256.ConditionalSelect(usable, jn, f);
        var ok = Vector256.GreaterThan(next, Vector256<double>.Zero) & Vector256.LessThan(next, Vector256.Create(double.PositiveInfinity));
        return Vector256.ConditionalSelect(ok, next, b);
    }

    /// <summary>
    /// Li's QD+ boundary at four τ (unit strike), in the division-free form of QuantLib's QdPlusAmericanEngine:
    /// f(S) = (1 − e^{−qτ}Φ(−d₊))S − β(1 − S − p) + (α/e^{−rτ})θ = 0, solved by Halley steps with the
    /// analytic f′ and f″ from S = X, each lane kept inside its bracket by bisection, until every lane has converged.
    /// </summary>
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<double> QdPlus(Vector256<double> tau, double r, double q, double vol, double x, ref int evaluations)
    {
        double v2 = vol * vol;
        var one = Vector256<double>.One;
        var vr = Vector256.Create(r);
        var vq = Vector256.Create(q);
        var v = Vector256.Create(vol) * Vector256.Sqrt(tau);
        var dr = Vector256.Exp(-vr * tau);
        var dq = Vector256.Exp(-vq * tau);
        var rTau = vr * tau;
        // r/(1 − e^{−rτ}), by its series where the difference would cancel
        var ddr = Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Abs(rTau), Vector256.Create(1e-5)),
            vr / (one - dr), one / (tau * (one - Vector256.Create(0.5) * rTau * (one - rTau / Vector256.Create(3.0)))));
        double omega = 2 * (r - q) / v2;
        var root = Vector256.Sqrt(Vector256.Create((omega - 1) * (omega - 1)) + Vector256.Create(8 / v2) * ddr);
        var lambda = Vector256.Create(-0.5) * (Vector256.Create(omega - 1) + root);
        var lambdaPrime = Vector256.Create(2 / v2) * ddr * ddr / root;
        var denom = Vector256.Create(2.0) * lambda + Vector256.Create(omega - 1);
        var alpha = Vector256.Create(2 / v2) * dr / denom;
        var beta = alpha * (ddr + lambdaPrime / denom) - lambda;
        var alphaOverDr = alpha / dr;
        var lnDfRatio = (vr - vq) * tau;
        var halfV = Vector256.Create(0.5) * v;
        var twoTau = tau + tau;
        var rMinusQ = Vector256.Create(r - q);
        var invSqrt2Pi = Vector256.Create(InvSqrt2Pi);
        var xv = Vector256.Create(x);
        var s = xv;
        var lo = Vector256<double>.Zero;
        var hi = xv;
        var tolerance = Vector256.Create(QdTolerance * x);
        for (int i = 0; i < 20; i++)
        {
            evaluations++;
            var dp = (Vector256.Log(s) + lnDfRatio) / v + halfV;
            var dm = dp - v;
            var phiP = NormalVector.Exp(Vector256.Create(-0.5) * dp * dp) * invSqrt2Pi;
            var phiM = phiP * s * dq / dr; // φ(d₋) = φ(d₊)·S e^{−qτ}/(K e^{−rτ})
            var cP = NormalVector.Cdf(-dp, phiP);
            var cM = NormalVector.Cdf(-dm, phiM);
            var npv = dr * cM - s * dq * cP;
            var theta = vr * dr * cM - vq * s * dq * cP - Vector256.Create(v2) * s / (v + v) * dq * phiP;
            var charm = -dq * (phiP * (rMinusQ / v - dm / twoTau) + vq * cP);
            var exercised = one - dq * cP;
            var f = exercised * s - beta * (one - s - npv) + alphaOverDr * theta;
            var f1 = exercised + dq / v * phiP + beta * exercised + alphaOverDr * charm;
            var gamma = phiP * dq / (v * s);
            var colour = gamma * (vq + rMinusQ * dp / v + (one - dp * dm) / twoTau);
            var f2 = dq * phiP / (s * v) * (one - dp / v) + beta * gamma + alphaOverDr * colour;
            var above = Vector256.GreaterThan(f, Vector256<double>.Zero);
            hi = Vector256.ConditionalSelect(above, s, hi);
            lo = Vector256.ConditionalSelect(above, lo, s);
            var lf = f * f2 / (f1 * f1);
            var next = s - f / f1 / (one - Vector256.Create(0.5) * lf);
            var inside = Vector256.GreaterThan(next, lo) & Vector256.LessThan(next, hi);
            next = Vector256.ConditionalSelect(inside, next, Vector256.Create(0.5) * (lo + hi));
            bool done = Vector256.LessThanAll(Vector256.Abs(next - s), tolerance);
            s = next;
            if (done) break;
        }
        return s;
    }
}
