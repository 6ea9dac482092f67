using Streamer.Rules.Books;

namespace Streamer.Rules.Engine;

/// <summary>
/// Tranche sizes of a scale-out (rules.md "Scale-outs"): each tranche but the last is
/// round_half_up(fraction × original), at least 1, never more than what is still open; the last
/// is whatever remains (which can be 0, e.g. 4 contracts → 2 / 2 / 0: the 75 % tranche closes
/// everything). Below min_contracts: one tranche of everything at the single-exit level.
/// </summary>
public static class ScaleOutPlan
{
    /// <summary>Writes tranche sizes and levels; returns the tranche count.</summary>
    public static int Compute(int original, in BookParameters p, Span<int> sizes, Span<double> levels)
    {
        if (original < p.MinContracts)
        {
            sizes[0] = original;
            levels[0] = p.SingleExitLevel;
            return 1;
        }
        int remaining = original;
        int last = p.TrancheCount - 1;
        for (int i = 0; i < last; i++)
        {
            int size = Math.Max(1, RoundHalfUp(p.Fractions[i] * original));
            size = Math.Min(size, remaining);
            sizes[i] = size;
            levels[i] = p.Levels[i];
            remaining -= size;
        }
        sizes[last] = remaining;
        levels[last] = p.Levels[last];
        return p.TrancheCount;
    }

    /// <summary>Half rounds up; the epsilon keeps 0.4 × 5 = 2.0000000000000004 and 0.5 × 3 = 1.5 on the intended side.</summary>
    public static int RoundHalfUp(double x) => (int)Math.Floor(x + 0.5 + 1e-9);
}
