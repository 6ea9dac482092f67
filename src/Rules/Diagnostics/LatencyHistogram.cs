using System.Numerics;
using System.Runtime.CompilerServices;

namespace Streamer.Rules.Diagnostics;

/// <summary>
/// A log-linear histogram of non-negative values (nanoseconds), HdrHistogram-style: each power
/// of two is split into 2^<see cref="SubBucketBits"/> linear sub-buckets, so any recorded value
/// is reported within 1/2^SubBucketBits (~0.8 %) of itself. Recording is a couple of shifts and
/// an increment into a preallocated array: no allocation, no lock, and so for one thread only
/// (a replay records and reports on its own thread). A histogram that one thread writes and
/// another reads (a shard's, read by the status and heartbeat) is HdrHistogram's, in
/// <c>Streamer.Stream.Pipeline.SharedLatencyHistogram</c>.
/// </summary>
public sealed class LatencyHistogram
{
    public const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;          // 128
    private const int Magnitudes = 64 - SubBucketBits;           // enough for any long
    private readonly long[] _counts = new long[(Magnitudes + 1) * SubBuckets];

    public long Count { get; private set; }
    public long Min { get; private set; } = long.MaxValue;
    public long Max { get; private set; }
    public double Sum { get; private set; }
    public double Mean => Count == 0 ? 0 : Sum / Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long value)
    {
        if (value < 0) value = 0;
        _counts[IndexOf(value)]++;
        Count++;
        Sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        Sum += other.Sum;
        if (other.Count > 0)
        {
            Min = Math.Min(Min, other.Min);
            Max = Math.Max(Max, other.Max);
        }
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Count = 0;
        Sum = 0;
        Min = long.MaxValue;
        Max = 0;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1): the highest value equivalent to the bucket holding it, capped at Max.</summary>
    public long ValueAtQuantile(double q)
    {
        if (Count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(Math.Clamp(q, 0, 1) * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(HighestEquivalent(i), Max);
        }
        return Max;
    }

    // index: values below SubBuckets map 1:1; above, the top SubBucketBits+1 bits select the bucket
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOf(long value)
    {
        if (value < SubBuckets) return (int)value;
        int magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value) - SubBucketBits + 1; // ≥ 1
        int sub = (int)(value >> magnitude);                                                    // in [64,128)
        return magnitude * SubBuckets + sub;
    }

    private static long HighestEquivalent(int index)
    {
        int magnitude = index / SubBuckets;
        long sub = index % SubBuckets;
        if (magnitude == 0) return sub;
        return ((sub + 1) << magnitude) - 1;
    }
}
