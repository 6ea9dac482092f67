using System.Runtime.CompilerServices;
using HdrHistogram;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// A latency distribution (nanoseconds) written by one thread and read by others: a shard
/// records per tick, the status and heartbeat read it. It is an HdrHistogram
/// <see cref="Recorder"/> over <see cref="LongHistogram"/>s: recording takes no lock and allocates
/// nothing (two interlocked increments around an array increment). A reader swaps the recorder's
/// interval out and adds it to a running total under its own lock, so readers see every
/// value recorded before they asked, and never a torn count. Values run from 0 to one hour
/// (a longer one counts as one hour), to 2 significant digits (each within 1 % of itself).
/// Single-threaded code (a replay) keeps <see cref="Streamer.Rules.Diagnostics.LatencyHistogram"/>.
/// </summary>
public sealed class SharedLatencyHistogram
{
    /// <summary>The highest value told apart: one hour, in ns.</summary>
    public const long HighestNs = 3_600_000_000_000;

    /// <summary>Precision: 2 significant digits (HdrHistogram's term).</summary>
    public const int SignificantDigits = 2;

    private readonly Recorder _recorder = new(1, HighestNs, SignificantDigits,
        static (id, lowest, highest, digits) => new LongHistogram(id, lowest, highest, digits));
    private readonly LongHistogram _total = NewHistogram();
    private readonly Lock _gate = new();
    private HistogramBase? _interval;

    /// <summary>Records one value (the writer's thread; concurrent writers are safe too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long ns) => _recorder.RecordValue(Math.Clamp(ns, 0, HighestNs));

    /// <summary>Adds everything recorded so far into <paramref name="into"/> (any thread; made with <see cref="NewHistogram"/>).</summary>
    public void AddTo(HistogramBase into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            _interval = _recorder.GetIntervalHistogram(_interval);
            _total.Add(_interval);
            into.Add(_total);
        }
    }

    /// <summary>An empty histogram of the same range and precision, to add shards into.</summary>
    public static LongHistogram NewHistogram() => new(1, HighestNs, SignificantDigits);

    /// <summary>The value at quantile <paramref name="q"/> (0..1), the highest equivalent to its bucket; 0 when empty.</summary>
    public static long ValueAtQuantile(HistogramBase histogram, double q)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(Math.Clamp(q, 0, 1) * 100);
    }

    /// <summary>The highest value recorded, to the histogram's precision; 0 when empty.</summary>
    public static long Max(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return histogram.TotalCount == 0 ? 0 : histogram.GetMaxValue();
    }
}
