using Microsoft.Extensions.Logging;
using Streamer.Rules.Engine;

namespace Streamer.Stream.Service;

/// <summary>
/// Rule state that changes without an exit (a trailing stop's peak, its activation) is journaled on a
/// timer, so a restart with restored state trails from the peak it had reached, not from where the
/// last exit left it. Exits journal their own state atomically with the exit (the outbox); this only
/// fills the gaps between them and never writes ahead of an exit still on its way to the journal.
/// </summary>
public sealed partial class LivePipelineService
{
    private readonly Dictionary<string, PositionState> _savedStates = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _saving = new(1, 1); // one round at a time (no wait handle is ever made: nothing to dispose)
    private Timer? _stateTimer;

    private void StartStateSaving(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) return;
        _stateTimer = new Timer(_ => _ = SaveStatesAsync(), null, interval, interval);
    }

    /// <summary>
    /// The last save, before the pipeline stops (a stop, or a tape consumed with <c>Feed:ExitWhenDone</c>):
    /// the peak reached since the last round is journaled too. It waits for a round in flight (which may
    /// have read the engines before the last ticks) instead of skipping.
    /// </summary>
    private async Task StopStateSavingAsync()
    {
        if (_stateTimer is not null) await _stateTimer.DisposeAsync().ConfigureAwait(false);
        await SaveStatesAsync(waitForRound: true).ConfigureAwait(false);
    }

    /// <summary>One round: every open position's state, journaled where it changed and no exit of it is outstanding.</summary>
    internal Task SaveStatesAsync() => SaveStatesAsync(waitForRound: false);

    private const int StateSaveRound = 256;

    private async Task SaveStatesAsync(bool waitForRound)
    {
        if (Pipeline.IsStopped) return; // the engines are gone, and so is anything left to save
        if (waitForRound) await _saving.WaitAsync().ConfigureAwait(false);
        else if (!_saving.Wait(0)) return; // the timer's round while one is still running: the next one will do
        try
        {
            if (Pipeline.IsStopped) return;
            // read on the shard threads (each engine's single owner); cold path, once per interval
            var perShard = await Pipeline.QueryAsync(static engine =>
            {
                var list = new List<(string Id, PositionState State)>();
                foreach (var id in engine.PositionIds)
                    if (engine.TryGetState(id, out var s) && !s.Closed) list.Add((id, s));
                return list;
            }).ConfigureAwait(false);
            long now = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
            var changed = new List<(string Id, PositionState State)>();
            foreach (var shard in perShard)
                foreach (var (id, state) in shard)
                    if (!_savedStates.TryGetValue(id, out var saved) || saved != state) changed.Add((id, state));
            // in rounds of a few hundred: one commit each, and the journal's lock is free between them for exits and fills
            var done = new bool[StateSaveRound];
            for (int i = 0; i < changed.Count; i += StateSaveRound)
            {
                var round = changed.GetRange(i, Math.Min(StateSaveRound, changed.Count - i));
                _positions.SaveStatesIfCurrent(round, now, done);
                for (int k = 0; k < round.Count; k++)
                    if (done[k]) _savedStates[round[k].Id] = round[k].State;
            }
        }
        catch (InvalidOperationException) when (Pipeline.IsStopped)
        {
            // stopped between the check and the query
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or Microsoft.Data.Sqlite.SqliteException)
        {
            LogStateSaveFailed(_log, e.Message);
        }
        finally
        {
            _saving.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "rule state not journaled this round: {Reason}")]
    private static partial void LogStateSaveFailed(ILogger logger, string reason);
}
