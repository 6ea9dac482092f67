using System.Diagnostics;
using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The feed's state (connecting / live / stale / down) for the heartbeat, as an Rx observable.
/// The tick path only stores a timestamp and compares one int (no Rx per tick: Rx's time operators,
/// e.g. Throttle, allocate per OnNext, see the pipeline tests); a periodic check (the pipeline's
/// timer) turns a silence longer than <see cref="PipelineOptions.StaleAfter"/> into Stale and a
/// <c>stale_feed</c> alert, and the next tick makes it Live again. Sources report Connecting/Down;
/// when the last running source stops, the feed is Down (<c>feed_down</c>).
/// </summary>
public sealed class FeedMonitor : IDisposable
{
    private readonly BehaviorSubject<FeedStatus> _subject = new(FeedStatus.Connecting);
    private readonly Lock _gate = new();
    private readonly Action<PipelineAlert> _alert;
    private readonly long _staleTicks;
    private readonly TimeSpan _staleAfter;
    private int _current = (int)FeedStatus.Connecting;
    private static readonly long TouchEvery = System.Diagnostics.Stopwatch.Frequency / 10_000;
    private long _lastTickTs;
    private long _firstTickTs;
    private int _running;
    private long _staleEpisodes;

    public FeedMonitor(TimeSpan staleAfter, Action<PipelineAlert> alert)
    {
        _staleAfter = staleAfter;
        _staleTicks = (long)(staleAfter.TotalSeconds * Stopwatch.Frequency);
        _alert = alert;
        Changes = _subject.DistinctUntilChanged();
    }

    /// <summary>The current state first, then every change (Rx; on the thread that changed it).</summary>
    public IObservable<FeedStatus> Changes { get; }

    public FeedStatus Current => (FeedStatus)Volatile.Read(ref _current);

    /// <summary>Stopwatch timestamp of the last tick (0: none yet).</summary>
    public long LastTickTimestamp => Volatile.Read(ref _lastTickTs);

    public bool AnyTick => Volatile.Read(ref _firstTickTs) != 0;

    public long StaleEpisodes => Interlocked.Read(ref _staleEpisodes);

    public int RunningSources => Volatile.Read(ref _running);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnTick(long timestamp)
    {
        // every source thread calls this per tick: write the shared timestamp only when it moved by 100 µs
        // (staleness is judged in seconds), so the line stays shared between cores instead of bouncing per tick
        if (timestamp - Volatile.Read(ref _lastTickTs) >= TouchEvery) Volatile.Write(ref _lastTickTs, timestamp);
        if (Volatile.Read(ref _current) != (int)FeedStatus.Live) BecomeLive(timestamp);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BecomeLive(long timestamp)
    {
        Interlocked.CompareExchange(ref _firstTickTs, timestamp, 0);
        Set(FeedStatus.Live);
    }

    public void SourceStarted() => Interlocked.Increment(ref _running);

    /// <summary>A source ended (tape finished, connection given up): the feed is Down once none runs.</summary>
    public void SourceStopped(string source, string why)
    {
        if (Interlocked.Decrement(ref _running) > 0) return;
        Set(FeedStatus.Down);
        _alert(new PipelineAlert(PipelineAlert.Kinds.FeedDown, $"market data is down: {source} {why}", source, [new("source", source)]));
    }

    /// <summary>A source's own report (e.g. the Alpaca client reconnecting: Connecting; lost: Down).</summary>
    public void Report(string source, FeedStatus status)
    {
        if (status == FeedStatus.Live) return; // live is what ticks say
        Set(status);
        if (status == FeedStatus.Down)
            _alert(new PipelineAlert(PipelineAlert.Kinds.FeedDown, $"market data is down: {source} reported it", source, [new("source", source)]));
    }

    /// <summary>The periodic check: a live feed silent for longer than StaleAfter becomes Stale (alert).</summary>
    public void Check(long nowTs)
    {
        if (Current != FeedStatus.Live) return;
        long last = LastTickTimestamp;
        if (nowTs - last <= _staleTicks) return;
        lock (_gate)
        {
            if (Current != FeedStatus.Live || LastTickTimestamp != last) return;
            Interlocked.Increment(ref _staleEpisodes);
            SetLocked(FeedStatus.Stale);
        }
        double silent = (nowTs - last) / (double)Stopwatch.Frequency;
        _alert(new PipelineAlert(PipelineAlert.Kinds.StaleFeed,
            $"no market data for {silent.ToString("0.#", CultureInfo.InvariantCulture)} s (stale after {_staleAfter.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s): price rules may not fire",
            null, [new("silent_s", silent.ToString("0.###", CultureInfo.InvariantCulture))]));
    }

    private void Set(FeedStatus status)
    {
        lock (_gate) SetLocked(status);
    }

    private void SetLocked(FeedStatus status)
    {
        if (Volatile.Read(ref _current) == (int)status) return;
        Volatile.Write(ref _current, (int)status);
        _subject.OnNext(status);
    }

    public void Dispose()
    {
        _subject.OnCompleted();
        _subject.Dispose();
    }
}
