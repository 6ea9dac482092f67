using Microsoft.Extensions.Logging;

namespace Streamer.Stream.Nats;

/// <summary>
/// The client's own warnings and errors (a refused TLS handshake, a failed connect and why) as
/// problem lines: NATS.Net retries the first connect silently and says why only in its log, so
/// its log is where the reason is taken from. Below warning nothing is kept (its debug lines are
/// chatty, and the CONNECT it traces is not for us to see).
/// </summary>
internal sealed class ProblemLoggerFactory(Action<string> report) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new ProblemLogger(report);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ProblemLogger(Action<string> report) : ILogger
    {
#nullable disable // the abstractions NATS.Net brings predate the notnull constraint; no scopes kept anyway
        public IDisposable BeginScope<TState>(TState state) => null;
#nullable restore

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var text = formatter(state, null);
            report(exception is null ? text : text + ": " + NatsBus.Reasons(exception));
        }
    }
}
