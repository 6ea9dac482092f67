using System.Runtime.CompilerServices;

namespace Streamer.Rules.Pricing;

/// <summary>
/// Standard normal density and distribution to ~2 ulp relative everywhere, tails included.
/// Φ(−a) = M(a)·φ(a) with the Mills ratio M fitted by Chebyshev interpolation on five pieces
/// (tools/quantlib/fit_mills.py: 50-digit reference, max relative error of each piece 2.5e-16);
/// φ uses Cody's split of x² so exp(−x²/2) keeps full relative accuracy far out in the tail.
/// </summary>
public static class Normal
{
    private const double InvSqrt2Pi = 0.398942280401432677939946059934;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Pdf(double x)
    {
        double a = Math.Abs(x);
        if (a < 3.0) return InvSqrt2Pi * Math.Exp(-0.5 * a * a);
        return TailPdf(a);
    }

    /// <summary>
    /// φ(x) with one exponential: relative error up to x²/2 ulps (1e-13 at |x| = 30), for quadrature
    /// sums where that is far below the discretisation error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double PdfQuick(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    // x² = h² + (a−h)(a+h) with h on a 1/16 grid: h² is exact, the small remainder is accurate
    private static double TailPdf(double a)
    {
        // beyond 37.5 the density is below the smallest normal double: 0, also keeping subnormal
        // arithmetic (two orders of magnitude slower) out of the quadratures, and ∞ from making ∞−∞
        if (a > 37.5) return 0.0;
        double h = Math.Round(a * 16.0) * 0.0625;
        return InvSqrt2Pi * Math.Exp(-0.5 * h * h) * Math.Exp(-0.5 * (a - h) * (a + h));
    }

    /// <summary>Φ(x), relative accuracy ~2 ulp for x ≤ 0 (the tail stays accurate down to underflow).</summary>
    public static double Cdf(double x)
    {
        if (x < 0) return x > -40.0 ? Mills(-x) * Pdf(x) : 0.0;
        if (x >= 0) return x < 9.0 ? 1.0 - Mills(x) * Pdf(x) : 1.0;
        return double.NaN;
    }

    /// <summary>Φ(x) when φ(x) is already known (saves the exponential).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Cdf(double x, double pdf)
    {
        if (x < 0) return x > -40.0 ? Mills(-x) * pdf : 0.0;
        if (x >= 0) return x < 9.0 ? 1.0 - Mills(x) * pdf : 1.0;
        return double.NaN;
    }

    /// <summary>Mills ratio M(a) = Φ(−a)/φ(a) for a ≥ 0 (decreasing from √(π/2) to ~1/a).</summary>
    internal static double Mills(double a)
    {
        if (a < 2.0)
            return a < 1.0 ? Clenshaw(M0To1, 2.0 * a - 1.0) : Clenshaw(M1To2, 2.0 * a - 3.0);
        if (a < 6.0)
            return a < 3.5 ? Clenshaw(M2To3p5, (a - 2.75) / 0.75) : Clenshaw(M3p5To6, (a - 4.75) / 1.25);
        // a·M(a) is a smooth function of u = (6/a)² on (0, 1]
        double u = 36.0 / (a * a);
        return Clenshaw(MTail, 2.0 * u - 1.0) / a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Clenshaw(ReadOnlySpan<double> c, double z)
    {
        // (c − b2) does not wait for b1, so the dependency chain is one fused multiply-add per term
        double b1 = 0, b2 = 0, z2 = 2 * z;
        for (int j = c.Length - 1; j >= 1; j--)
        {
            double b0 = Math.FusedMultiplyAdd(z2, b1, c[j] - b2);
            b2 = b1;
            b1 = b0;
        }
        return Math.FusedMultiplyAdd(z, b1, 0.5 * c[0] - b2);
    }

    // (0.0, 1.0): degree 15, max rel err 2.40e-16
    private static ReadOnlySpan<double> M0To1 =>
    [
        1.8299204522052601, -0.2942508157416701, 0.0390622194106923, -0.004521298285812456,
        0.00047039615139108043, -4.485150406980934e-05, 3.97215817785879e-06, -3.299738012655985e-07,
        2.5905779549080862e-08, -1.933531442888673e-09, 1.3785593102020785e-10, -9.426253508309626e-12,
        6.202070867852574e-13, -3.937755746030938e-14, 2.418419054160107e-15, -1.435185565939173e-16,
    ];

    // (1.0, 2.0): degree 14, max rel err 1.93e-16
    private static ReadOnlySpan<double> M1To2 =>
    [
        1.0541735042429718, -0.11613812205758173, 0.01135390595076756, -0.0010105793830480982,
        8.325777120829562e-05, -6.422593917426278e-06, 4.6785865260696797e-07, -3.239431986410895e-08,
        2.1429726536781563e-09, -1.360129263368736e-10, 8.311309531528346e-12, -4.904067193563733e-13,
        2.8010927933270097e-14, -1.5520960810808643e-15, 8.336682214015137e-17,
    ];

    // (2.0, 3.5): degree 15, max rel err 2.48e-16
    private static ReadOnlySpan<double> M2To3p5 =>
    [
        0.6714914395175534, -0.07657734515012707, 0.008144476332945804, -0.0008162718398784275,
        7.76829516120185e-05, -7.061102939512611e-06, 6.158606519028257e-07, -5.1734988242031786e-08,
        4.198821513680444e-09, -3.30101944407543e-10, 2.5195164204916533e-11, -1.8705704618245885e-12,
        1.3531683996257642e-13, -9.552050078258617e-15, 6.58831444121487e-16, -4.426488399319236e-17,
    ];

    // (3.5, 6.0): degree 16, max rel err 1.60e-16
    private static ReadOnlySpan<double> M3p5To6 =>
    [
        0.41653717277041785, -0.051378922644700814, 0.006123815065199441, -0.0007073621146067647,
        7.93796078819228e-05, -8.67212890772795e-06, 9.239891758713236e-07, -9.616242185579462e-08,
        9.788847910892177e-09, -9.758155728313172e-10, 9.536290573077607e-11, -9.145018534421538e-12,
        8.613115278913824e-13, -7.973495994102963e-14, 7.260426135023063e-15, -6.506725387518618e-16,
        5.700766982188988e-17,
    ];

    // ('tail', 6.0): degree 12, max rel err 1.10e-16
    private static ReadOnlySpan<double> MTail =>
    [
        1.973785519316917, -0.012859856366795508, 0.00023993589855634287, -7.146684560316797e-06,
        2.8629826863712646e-07, -1.4202104998247842e-08, 8.311316131545452e-10, -5.5592092839698005e-11,
        4.15649581545592e-12, -3.417362141203688e-13, 3.051067413210763e-14, -2.928541506674751e-15,
        2.9621034734474584e-16,
    ];
}
