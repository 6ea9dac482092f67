namespace Streamer.Stream.Nats;

/// <summary>
/// A bus's connection state as its supervisor sets it, and the "connected" signal callers await.
/// A listener's exception is reported back (the supervisor must keep running), not thrown.
/// </summary>
internal sealed class BusStateTracker
{
    private readonly Lock _gate = new();
    private int _state = (int)BusState.Connecting;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BusState State => (BusState)Volatile.Read(ref _state);

    public event Action<BusState>? Changed;

    /// <summary>Sets the state; returns a message when a <see cref="Changed"/> listener threw, else null.</summary>
    public string? Set(BusState state)
    {
        var previous = (BusState)Interlocked.Exchange(ref _state, (int)state);
        lock (_gate)
        {
            if (state == BusState.Connected) _connected.TrySetResult();
            else if (_connected.Task.IsCompleted) _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (previous == state) return null;
        try
        {
            Changed?.Invoke(state);
            return null;
        }
#pragma warning disable CA1031 // a listener's bug must not stop the supervisor
        catch (Exception e)
#pragma warning restore CA1031
        {
            return $"StateChanged handler threw {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Waits until connected; false when <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task connected;
        lock (_gate) connected = _connected.Task;
        if (connected.IsCompleted) return true;
        try
        {
            await connected.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
