using System.Diagnostics;
using Streamer.Rules.Time;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The time the shards' timers run on (<see cref="ClockMode"/>). Wall: the machine's UTC clock.
/// Scaled: tape time anchored at the first tick (<see cref="Anchor"/>), advancing Speed× the
/// monotonic Stopwatch. Virtual: none (ticks carry the time; <see cref="NowNs"/> is long.MinValue).
/// </summary>
public sealed class PipelineClock
{
    private static readonly double NsPerStopwatchTick = 1e9 / Stopwatch.Frequency;
    private long _anchorWallTs;
    private long _anchorTapeNs = long.MinValue;

    public PipelineClock(ClockMode mode, double speed = 1)
    {
        Mode = mode;
        Speed = mode == ClockMode.Scaled ? speed : 1;
    }

    public ClockMode Mode { get; }

    public double Speed { get; }

    /// <summary>Scaled: ties tape time <paramref name="tapeNs"/> to now (the first tick; later calls are ignored).</summary>
    public void Anchor(long tapeNs)
    {
        if (Volatile.Read(ref _anchorTapeNs) != long.MinValue) return;
        Volatile.Write(ref _anchorWallTs, Stopwatch.GetTimestamp());
        Volatile.Write(ref _anchorTapeNs, tapeNs);
    }

    public bool IsAnchored => Volatile.Read(ref _anchorTapeNs) != long.MinValue;

    /// <summary>Scaled: the Stopwatch timestamp when tape time <paramref name="tapeNs"/> is due.</summary>
    public long DueTimestamp(long tapeNs)
    {
        long anchor = Volatile.Read(ref _anchorTapeNs);
        return Volatile.Read(ref _anchorWallTs) + (long)((tapeNs - anchor) / Speed / NsPerStopwatchTick);
    }

    /// <summary>The clock now (UTC ns); long.MinValue when there is none yet (virtual, or scaled before the first tick).</summary>
    public long NowNs()
    {
        switch (Mode)
        {
            case ClockMode.Wall:
                return NanoTime.FromDateTime(DateTime.UtcNow);
            case ClockMode.Scaled:
                long anchor = Volatile.Read(ref _anchorTapeNs);
                if (anchor == long.MinValue) return long.MinValue;
                return anchor + (long)((Stopwatch.GetTimestamp() - Volatile.Read(ref _anchorWallTs)) * NsPerStopwatchTick * Speed);
            default:
                return long.MinValue;
        }
    }

    /// <summary>Wall milliseconds until clock time <paramref name="dueNs"/> (0 when due; int.MaxValue when there is no clock).</summary>
    public int MillisecondsUntil(long dueNs, long nowNs)
    {
        if (nowNs == long.MinValue || dueNs == long.MaxValue) return int.MaxValue;
        if (dueNs <= nowNs) return 0;
        double ms = (dueNs - nowNs) / Speed / 1e6;
        return ms >= int.MaxValue ? int.MaxValue : (int)Math.Ceiling(ms);
    }
}
