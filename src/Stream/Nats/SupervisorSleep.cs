namespace Streamer.Stream.Nats;

/// <summary>
/// How a bus's supervisor thread waits between health probes and reconnect attempts: woken early
/// by a connection event (at most one pending wake-up), ended by the bus stopping.
/// </summary>
internal sealed class SupervisorSleep : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // already awake
        }
        catch (ObjectDisposedException)
        {
            // the bus is disposed
        }
    }

    /// <summary>False when the bus is stopping (the supervisor returns).</summary>
    public bool Sleep(TimeSpan delay, bool wakeable, CancellationToken stop)
    {
        try
        {
            if (wakeable) _wake.Wait(delay, stop);
            else stop.WaitHandle.WaitOne(delay);
            return !stop.IsCancellationRequested;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => _wake.Dispose();
}
