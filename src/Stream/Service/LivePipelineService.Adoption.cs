using Microsoft.Extensions.Logging;
using Streamer.Stream.Contracts.Resilience;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Service;

/// <summary>
/// Restart with two records: a publish-first run that did not stop cleanly may have left exits on the
/// stream that its journal never got. Before any evaluation they are read back and adopted
/// (docs/journal.md "Durability"), waiting for NATS as long as it takes: deciding first could decide
/// such an exit a second time, under a new id.
/// </summary>
public sealed partial class LivePipelineService
{
    private static readonly Backoff AdoptRetry = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    private async Task AdoptFromStreamAsync(CancellationToken cancellationToken)
    {
        bool rebuild = _settings.Journal.RebuildFromStream;
        if (!_outbox.MayHaveUnjournaledExits && !rebuild) return;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                // the bus connects in the background: give it its first second before calling it an outage
                if (attempt == 0) await _bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                // rebuilding, every exit on the stream is this service's: its journal may not know the position yet
                var adopted = await _outbox.AdoptFromStreamAsync(rebuild ? static _ => true : id => _positions.StatusOf(id) == PositionStatus.Open, rebuild, cancellationToken).ConfigureAwait(false);
                foreach (var e in adopted) LogAdopted(_log, e.Id, e.ClosesPosition);
                if (rebuild) LogRebuilt(_log, adopted.Count);
                else LogAdoption(_log, adopted.Count);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // stopping before the start completed: nothing was evaluated
            }
            catch (Exception e) when (e is TimeoutException or MessageBusUnavailableException or JetStreamApiException or NATS.Client.Core.NatsException or OperationCanceledException)
            {
                if (attempt == 0 || attempt % 20 == 0)
                    _alerts.Raise(AlertPublisher.Kinds.NatsOutage,
                        (rebuild ? "Journal:RebuildFromStream" : "the last run stopped uncleanly and sent exits before journaling them")
                        + $": evaluation waits until the exit stream can be read ({e.Message}; attempt {attempt + 1})",
                        key: "adoption");
                try
                {
                    await Task.Delay(AdoptRetry.Delay(attempt), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "adopted exit {ExitId} from the exit stream (on the stream, not in the journal: the last run stopped between publish and commit){Closing}")]
    private static partial void LogAdoptedCore(ILogger logger, string exitId, string closing);

    private static void LogAdopted(ILogger logger, string exitId, bool closes) => LogAdoptedCore(logger, exitId, closes ? "; it closed its position" : "");

    [LoggerMessage(Level = LogLevel.Information, Message = "exit stream read after an unclean stop: {Count} exits adopted into the journal")]
    private static partial void LogAdoption(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal:RebuildFromStream: {Count} exits adopted from the exit stream into the journal")]
    private static partial void LogRebuilt(ILogger logger, int count);
}
