using System.Runtime.CompilerServices;
using System.Text;

namespace Streamer.Stream.Cluster;

/// <summary>
/// Which partition an underlying belongs to: FNV-1a 64 over the underlying's trimmed upper-case UTF-8
/// bytes, modulo the partition count. Every engine, every release and every platform must agree, so it
/// is a fixed, documented hash and never <see cref="string.GetHashCode()"/> (randomized per process).
/// </summary>
public sealed class PartitionMap
{
    public PartitionMap(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        Partitions = partitions;
    }

    public int Partitions { get; }

    public int PartitionOf(string underlying)
    {
        ArgumentNullException.ThrowIfNull(underlying);
        return (int)(Fnv1a64.OfUnderlying(underlying) % (ulong)Partitions);
    }

    /// <summary>The lease key of a partition in the lease bucket: <c>p.&lt;n&gt;</c>.</summary>
    public static string LeaseKey(int partition) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p.{partition}");
}

/// <summary>FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).</summary>
internal static class Fnv1a64
{
    public const ulong OffsetBasis = 0xcbf29ce484222325UL;
    public const ulong Prime = 0x100000001b3UL;

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        ulong hash = OffsetBasis;
        foreach (byte b in bytes)
        {
            hash ^= b;
            hash *= Prime;
        }
        return hash;
    }

    public static ulong Of(string text) => Of(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// The hash of <c>underlying.Trim().ToUpperInvariant()</c> as UTF-8, without allocating for the
    /// ASCII symbols every feed sends ("spy " and "SPY" are one underlying).
    /// </summary>
    public static ulong OfUnderlying(string underlying)
    {
        var span = underlying.AsSpan().Trim();
        ulong hash = OffsetBasis;
        foreach (char c in span)
        {
            if (c >= 0x80) return OfNonAscii(span);
            hash ^= char.IsAsciiLetterLower(c) ? (byte)(c - 32) : (byte)c;
            hash *= Prime;
        }
        return hash;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong OfNonAscii(ReadOnlySpan<char> trimmed) => Of(Encoding.UTF8.GetBytes(trimmed.ToString().ToUpperInvariant()));

    /// <summary>splitmix64's finalizer: spreads FNV's weak low bits before a comparison or a modulo of combined hashes.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
