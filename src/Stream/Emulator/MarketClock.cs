using System.Diagnostics;

namespace Streamer.Stream.Emulator;

/// <summary>
/// The emulator's one market clock: starts at the first subscription (from any
/// connection) at the tape's first time and runs at <c>speed</c>× wall time.
/// </summary>
internal sealed class MarketClock(double speed)
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _tapeStartNs;
    private long _wallStart;

    public double Speed => speed;

    public Task Started => _started.Task;

    public bool IsRunning => _started.Task.IsCompleted;

    public void Start(long tapeStartNs)
    {
        lock (_started)
        {
            if (IsRunning) return;
            _tapeStartNs = tapeStartNs;
            _wallStart = Stopwatch.GetTimestamp();
            _started.TrySetResult();
        }
    }

    /// <summary>Market time now (tape ns); unbounded when the speed is "as fast as possible".</summary>
    public long Now
    {
        get
        {
            if (!IsRunning) return long.MinValue;
            if (speed <= 0) return long.MaxValue;
            double elapsedNs = Stopwatch.GetElapsedTime(_wallStart).Ticks * 100.0;
            return _tapeStartNs + (long)(elapsedNs * speed);
        }
    }

    /// <summary>Wall time until the market clock reaches <paramref name="tapeNs"/> (zero when already past).</summary>
    public TimeSpan WallUntil(long tapeNs)
    {
        if (speed <= 0) return TimeSpan.Zero;
        long ahead = tapeNs - Now;
        return ahead <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(ahead / 100.0 / speed));
    }
}
