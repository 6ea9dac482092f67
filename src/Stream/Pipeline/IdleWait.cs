using System.Diagnostics;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// How an idle consumer thread (a shard, the exit thread) waits for work, in the Disruptor's phases:
/// spin (watching its channel, no system call: a new item is taken within ~100 ns), then yield
/// (<see cref="Thread.Yield"/>: gives the core to a ready thread, returns at once when none is), then
/// block (sleeps on its <see cref="IdleSignal"/>: costs nothing, but the next item pays a wake-up,
/// tens of µs on this VM). Spinning and yielding burn the core they run on: <c>Pipeline:Wait</c>
/// picks the trade (docs/pipeline.md has the measured CPU of each).
/// </summary>
public readonly struct IdleWait
{
    private readonly long _spinTicks;
    private readonly long _yieldTicks;

    public IdleWait(TimeSpan spin, TimeSpan yield)
    {
        _spinTicks = spin <= TimeSpan.Zero ? 0 : (long)(spin.TotalSeconds * Stopwatch.Frequency);
        _yieldTicks = yield <= TimeSpan.Zero ? 0 : yield == TimeSpan.MaxValue ? long.MaxValue : (long)(yield.TotalSeconds * Stopwatch.Frequency);
    }

    public TimeSpan Spin => TimeSpan.FromSeconds(_spinTicks / (double)Stopwatch.Frequency);

    public TimeSpan Yield => _yieldTicks == long.MaxValue ? TimeSpan.MaxValue : TimeSpan.FromSeconds(_yieldTicks / (double)Stopwatch.Frequency);

    /// <summary>
    /// Spins, then yields, while <paramref name="hasWork"/> says there is none; true as soon as it says
    /// there is, false when both phases passed (the caller blocks).
    /// </summary>
    public bool AwaitWork<TState>(Func<TState, bool> hasWork, TState state)
    {
        if (_spinTicks == 0 && _yieldTicks == 0) return hasWork(state);
        long start = Stopwatch.GetTimestamp();
        if (_spinTicks > 0)
        {
            long until = start + _spinTicks;
            do
            {
                if (hasWork(state)) return true;
                Thread.SpinWait(16);
            }
            while (Stopwatch.GetTimestamp() < until);
        }
        if (_yieldTicks > 0)
        {
            long until = _yieldTicks == long.MaxValue ? long.MaxValue : Stopwatch.GetTimestamp() + _yieldTicks;
            do
            {
                if (hasWork(state)) return true;
                if (!Thread.Yield()) Thread.SpinWait(64);
            }
            while (Stopwatch.GetTimestamp() < until);
        }
        return hasWork(state);
    }

    /// <summary>the phases, then (no work came) a sleep of up to <paramref name="timeoutMs"/> on <paramref name="signal"/>.</summary>
    internal void Idle<TState>(IdleSignal signal, Func<TState, bool> hasWork, TState state, int timeoutMs)
    {
        if (AwaitWork(hasWork, state)) return;
        signal.Sleep(timeoutMs, hasWork, state);
    }
}
