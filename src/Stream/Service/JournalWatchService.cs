using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Stream.Journal;

namespace Streamer.Stream.Service;

/// <summary>
/// Every two seconds: is the journal this service writes still the file at Journal:Path? When it was
/// deleted or replaced, a <c>journal_error</c> alert says so at once (repeated each minute while it
/// lasts) with what to do: this run's decisions are no longer on disk, and a restart on a new file
/// would decide again what was published (docs/journal.md "Recovery").
/// </summary>
internal sealed partial class JournalWatchService(JournalDatabase journal, AlertPublisher alerts, ServiceStatus status, ILogger<JournalWatchService> log) : IHostedService, IDisposable
{
    private Timer? _timer;
    private int _checking;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new Timer(_ => Check(), null, Interval, Interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Change(Timeout.Infinite, Timeout.Infinite);
        return Task.CompletedTask;
    }

    private void Check()
    {
        if (Interlocked.Exchange(ref _checking, 1) != 0) return;
        try
        {
            var problem = journal.CheckIdentity();
            status.JournalProblem = problem;
            if (problem is null) return;
            var message = $"{problem}: what this run journals is not on disk. Stop it (a clean stop publishes what it owes), put the journal back or start on a fresh one with Journal:RebuildFromStream=true, which adopts every exit on the stream before deciding anything";
            LogLost(log, message);
            alerts.Raise(AlertPublisher.Kinds.JournalError, message, key: "journal_identity");
        }
#pragma warning disable CA1031 // a timer callback must never take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogCheckFailed(log, e.Message);
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogLost(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "journal identity check failed: {Error}")]
    private static partial void LogCheckFailed(ILogger logger, string error);
}
