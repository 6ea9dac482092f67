using System.Collections.Concurrent;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Journal.Outbox;

/// <summary>
/// Parking (issue 11): order per position is the promise, not one global queue. An exit the stream
/// keeps refusing while NATS is up (a subject no stream captures, a payload over max_payload, a
/// permission the server denies) would otherwise hold every later exit of every position behind it,
/// across restarts too. After <see cref="ExitOutboxOptions.ParkAfterFailures"/> failed attempts in a
/// row at the head, with the bus connected, its position is parked: its exits wait (in order, journaled),
/// every other position's go on, <see cref="ExitParked"/> raises the alert, and the parked head is tried
/// again on its own every <see cref="ExitOutboxOptions.ParkedRetryInterval"/>. Once acked, the position's
/// later exits follow it in order. A NATS outage never parks anything: the bus is down, not the exit.
/// Parking lives in memory: after a restart the head is found again the same way.
/// </summary>
public sealed partial class ExitOutbox
{
    private readonly ConcurrentDictionary<string, ParkedExit> _parked = new(StringComparer.Ordinal);
    private string? _failingHead;
    private int _failingHeadCount;
    private long _nextParkedRetryTs;

    private sealed record ParkedExit(JournaledExit Exit, string Reason, int Attempts);

    /// <summary>an exit's position was parked (publisher thread), with why: for the <c>exit_parked</c> alert.</summary>
    public event Action<JournaledExit, Exception>? ExitParked;

    /// <summary>a parked position's head exit was acked: the position's exits go out again (publisher thread).</summary>
    public event Action<JournaledExit>? ExitUnparked;

    /// <summary>positions whose exits are parked behind one the stream refuses.</summary>
    public int ParkedPositions => _parked.Count;

    /// <summary>whether <paramref name="positionId"/>'s exits are parked (tests, status).</summary>
    public bool IsParked(string positionId) => _parked.ContainsKey(positionId);

    /// <summary>
    /// Counts failures of the same head; parks its position once they reach the limit while the bus
    /// is connected (true: parked). A different head, or the bus down, starts the count again.
    /// </summary>
    private bool CountHeadFailure(JournaledExit head, Exception failure, bool connectionGone)
    {
        if (connectionGone || !_js.Bus.IsConnected)
        {
            _failingHead = null;
            _failingHeadCount = 0;
            return false;
        }
        if (_failingHead != head.Id)
        {
            _failingHead = head.Id;
            _failingHeadCount = 0;
        }
        if (++_failingHeadCount < _options.ParkAfterFailures) return false;
        _failingHead = null;
        _failingHeadCount = 0;
        Park(head, failure);
        return true;
    }

    private void Park(JournaledExit head, Exception failure)
    {
        if (!_parked.TryAdd(head.PositionId, new ParkedExit(head, failure.Message, _options.ParkAfterFailures))) return;
        // its exits owe nothing to the lane any more: they wait behind their head, not in front of other positions'
        string prefix = head.PositionId + ":";
        lock (_laneGate) _wentSlow.RemoveWhere(id => id.StartsWith(prefix, StringComparison.Ordinal));
        _nextParkedRetryTs = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(_options.ParkedRetryInterval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        try
        {
            ExitParked?.Invoke(head, failure);
        }
#pragma warning disable CA1031 // a listener's bug must not stop the publisher
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Once per interval, with nothing in flight: each parked head alone, awaited. Acked: marked, its
    /// position unparked (true: the loop reads the journal again from the start, so the position's
    /// later exits follow in order). Refused again: it stays parked.
    /// </summary>
    private async Task<bool> RetryParkedAsync(CancellationToken stop)
    {
        if (_parked.IsEmpty || System.Diagnostics.Stopwatch.GetTimestamp() < _nextParkedRetryTs || !_js.Bus.IsConnected) return false;
        _nextParkedRetryTs = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(_options.ParkedRetryInterval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        bool unparked = false;
        foreach (var (position, parked) in _parked)
        {
            var exit = parked.Exit;
            try
            {
                var ack = await _js.PublishAsync(exit.Subject, exit.Payload, _options.AckTimeout, exit.Id, stop).ConfigureAwait(false);
                QueueMarks([(exit, ack)]);
                await _marking.ConfigureAwait(false);
                Acked(exit.Id);
                _parked.TryRemove(position, out _);
                unparked = true;
                try
                {
                    ExitUnparked?.Invoke(exit);
                }
#pragma warning disable CA1031 // a listener's bug must not stop the publisher
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return unparked;
            }
            catch (Exception e) when (e is TimeoutException or MessageBusUnavailableException or MessageTooLargeException or JetStreamApiException or NATS.Client.Core.NatsException or OperationCanceledException)
            {
                _parked[position] = parked with { Reason = e.Message, Attempts = parked.Attempts + 1 };
            }
        }
        return unparked;
    }
}
