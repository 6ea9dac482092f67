using Streamer.Rules.Instruments;

namespace Streamer.Stream.Emulator;

/// <summary>
/// Displayed quote sizes for a tape that has none: a fixed size, or one drawn from
/// [min, max] by a hash of (symbol, quote time), so the same tape always shows (and fills
/// against) the same sizes, on the stream and in the paper broker alike.
/// </summary>
internal sealed class QuoteSizes
{
    private readonly ulong[] _seeds;

    public QuoteSizes(SymbolTable symbols, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        if (min < 1 || max < min) throw new ArgumentOutOfRangeException(nameof(min), $"quote sizes need 1 ≤ min ≤ max, got {min}-{max}");
        Min = min;
        Max = max;
        _seeds = new ulong[symbols.Count + 1]; // ids start at 1
        for (int i = 1; i < _seeds.Length; i++) _seeds[i] = Fnv1a(symbols[i]);
    }

    public int Min { get; }

    public int Max { get; }

    /// <summary>(bid size, ask size) of the quote of <paramref name="symbolId"/> at <paramref name="timeNs"/>.</summary>
    public (long Bid, long Ask) Of(int symbolId, long timeNs)
    {
        if (Min == Max) return (Min, Max);
        ulong seed = (uint)symbolId < (uint)_seeds.Length ? _seeds[symbolId] : (ulong)symbolId;
        ulong h = Mix(seed ^ (ulong)timeNs);
        ulong range = (ulong)(Max - Min + 1);
        return (Min + (long)(h % range), Min + (long)((h >> 32) % range));
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) h = (h ^ c) * 1099511628211UL;
        return h;
    }

    // splitmix64's finaliser: neighbouring times give unrelated sizes
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
