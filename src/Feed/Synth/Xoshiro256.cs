using System.Numerics;

namespace Streamer.Feed.Synth;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna), seeded through SplitMix64: the same sequence on every
/// machine and .NET version (System.Random's algorithm is not a contract). Integer and
/// arithmetic-only double outputs, so nothing here depends on the platform's libm.
/// </summary>
internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A generator in a given state (the published test vectors start from {1, 2, 3, 4}).</summary>
    internal static Xoshiro256 FromState(ulong s0, ulong s1, ulong s2, ulong s3) =>
        new() { _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3 };

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer on [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant here).</summary>
    public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>
    /// An approximately standard normal variate: the sum of 12 uniforms minus 6 (Irwin–Hall).
    /// Tails stop at ±6, which a synthetic tape does not miss, and it needs no log/cos.
    /// </summary>
    public double NextNormal()
    {
        double sum = 0;
        for (int i = 0; i < 12; i++) sum += NextDouble();
        return sum - 6.0;
    }

    internal static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
