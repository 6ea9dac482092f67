using System.Runtime.CompilerServices;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// Wakes a dedicated consumer thread that sleeps when its channel is empty, without allocating:
/// writers call <see cref="Wake"/> after writing (a volatile read, and a Set only when the consumer
/// sleeps). A channel's own async wait would queue a thread-pool work item (an allocation) per
/// wake-up, and run the consumer on a pool thread.
/// </summary>
internal sealed class IdleSignal : IDisposable
{
    private readonly ManualResetEventSlim _event = new(false, spinCount: 0);
    private int _sleeping;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Wake()
    {
        if (Volatile.Read(ref _sleeping) != 0) _event.Set();
    }

    public void WakeAlways() => _event.Set();

    /// <summary>
    /// Sleeps up to <paramref name="timeoutMs"/> unless <paramref name="hasWork"/> (checked after the
    /// sleep is announced, so a write racing it is never missed) says there is work.
    /// </summary>
    public void Sleep<TState>(int timeoutMs, Func<TState, bool> hasWork, TState state)
    {
        _event.Reset();
        Interlocked.Exchange(ref _sleeping, 1);
        if (timeoutMs > 0 && !hasWork(state)) _event.Wait(timeoutMs);
        Volatile.Write(ref _sleeping, 0);
    }

    public void Dispose() => _event.Dispose();
}
