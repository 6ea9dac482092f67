using System.Runtime.CompilerServices;

namespace Streamer.Rules.Pricing;

/// <summary>Standard normal density and distribution.</summary>
public static class Normal
{
    private const double InvSqrt2Pi = 0.398942280401432677939946059934;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Pdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// Φ(x) by Hart's double-precision rational approximation (as given in G. West,
    /// "Better approximations to cumulative normal functions", 2005): ~1e-14 relative.
    /// </summary>
    public static double Cdf(double x)
    {
        double a = Math.Abs(x);
        double c;
        if (a > 37.0)
        {
            c = 0.0;
        }
        else
        {
            double e = Math.Exp(-0.5 * a * a);
            if (a < 7.07106781186547)
            {
                double n = 3.52624965998911E-02 * a + 0.700383064443688;
                n = n * a + 6.37396220353165;
                n = n * a + 33.912866078383;
                n = n * a + 112.079291497871;
                n = n * a + 221.213596169931;
                n = n * a + 220.206867912376;
                double d = 8.83883476483184E-02 * a + 1.75566716318264;
                d = d * a + 16.064177579207;
                d = d * a + 86.7807322029461;
                d = d * a + 296.564248779674;
                d = d * a + 637.333633378831;
                d = d * a + 793.826512519948;
                d = d * a + 440.413735824752;
                c = e * n / d;
            }
            else
            {
                double b = a + 0.65;
                b = a + 4.0 / b;
                b = a + 3.0 / b;
                b = a + 2.0 / b;
                b = a + 1.0 / b;
                c = e / b / 2.506628274631;
            }
        }
        return x > 0 ? 1.0 - c : c;
    }
}
