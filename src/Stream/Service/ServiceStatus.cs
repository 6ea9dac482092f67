namespace Streamer.Stream.Service;

/// <summary>
/// Live counters the heartbeat and <c>streamer.control.status</c> report. The engine (branch
/// <c>engine</c>) updates <see cref="PositionsMonitored"/> and <see cref="RecordTicks"/>.
/// </summary>
public sealed class ServiceStatus(TimeProvider time)
{
    private readonly long _startedAt = time.GetTimestamp();
    private long _ticks;
    private long _lastTicks;
    private long _lastSampleAt = time.GetTimestamp();
    private double _ticksPerSecond;
    private int _positions;
    private readonly Lock _gate = new();

    public int PositionsMonitored
    {
        get => Volatile.Read(ref _positions);
        set => Volatile.Write(ref _positions, value);
    }

    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>null while the journal file is the one being written; otherwise what happened to it.</summary>
    public string? JournalProblem
    {
        get => Volatile.Read(ref _journalProblem);
        set => Volatile.Write(ref _journalProblem, value);
    }

    private string? _journalProblem;

    /// <summary>More fields for the heartbeat/status object (the live pipeline's feed state), written last.</summary>
    public Action<System.Text.Json.Utf8JsonWriter>? ExtraFields { get; set; }

    public void RecordTicks(long count) => Interlocked.Add(ref _ticks, count);

    public TimeSpan Uptime => time.GetElapsedTime(_startedAt);

    /// <summary>ticks per second since the previous sample (the heartbeat samples once per beat).</summary>
    public double SampleTicksPerSecond()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var elapsed = time.GetElapsedTime(_lastSampleAt, now).TotalSeconds;
            var ticks = Ticks;
            if (elapsed > 0) _ticksPerSecond = (ticks - _lastTicks) / elapsed;
            _lastTicks = ticks;
            _lastSampleAt = now;
            return _ticksPerSecond;
        }
    }
}
