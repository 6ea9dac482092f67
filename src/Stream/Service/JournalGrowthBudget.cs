namespace Streamer.Stream.Service;

/// <summary>
/// How much one outside source (<c>streamer.executions</c>, <c>streamer.control.add</c>) may add to
/// the journal per minute (<c>Intake:MaxJournalBytesPerMinute</c>). A fill or a position is a few
/// hundred bytes, so real traffic is far below it; a neighbour that floods valid-looking messages
/// is refused with a reply and an alert once the minute's budget is spent, instead of filling the
/// disk (docs/limits.md). Fixed one-minute windows on the monotonic clock. Thread-safe.
/// </summary>
internal sealed class JournalGrowthBudget(long bytesPerMinute, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _windowStart = time.GetTimestamp();
    private long _used;

    public long BytesPerMinute => bytesPerMinute;

    /// <summary>true (and counted) when <paramref name="bytes"/> fit in this minute's budget.</summary>
    public bool TryTake(long bytes)
    {
        lock (_gate)
        {
            long now = time.GetTimestamp();
            if (time.GetElapsedTime(_windowStart, now) >= TimeSpan.FromMinutes(1))
            {
                _windowStart = now;
                _used = 0;
            }
            if (_used + bytes > bytesPerMinute) return false;
            _used += bytes;
            return true;
        }
    }
}
