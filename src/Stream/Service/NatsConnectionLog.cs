using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Service;

/// <summary>
/// Says in the log where NATS is and how the service authenticates (the method and the files, never
/// a secret), and why a connection fails: a refused password or an untrusted certificate is one
/// clear line, repeated every <see cref="RepeatEvery"/> attempts while the bus retries, not a crash
/// and not a flood.
/// </summary>
internal sealed partial class NatsConnectionLog(IMessageBus bus, StreamerSettings settings, ILogger<NatsConnectionLog> log) : IHostedService
{
    private const int RepeatEvery = 20;
    private readonly Lock _gate = new();
    private string? _lastProblem;
    private int _repeats;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var n = settings.Nats;
        var tls = settings.NatsConnection.Tls is { } t
            ? $"TLS (CA {t.CaFile ?? "system roots"}, client certificate {t.CertFile ?? "none"}, verify {(t.Verify ? "on" : "OFF: any server certificate is accepted")})"
            : "no TLS";
        LogConnecting(log, n.Url, settings.NatsConnection.Auth?.ToString() ?? "none", tls);
        if (!n.TlsVerify) LogNoVerify(log);
        bus.Problem += OnProblem;
        bus.StateChanged += OnState;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        bus.Problem -= OnProblem;
        bus.StateChanged -= OnState;
        return Task.CompletedTask;
    }

    private void OnState(BusState state)
    {
        if (state != BusState.Connected) return;
        lock (_gate)
        {
            _lastProblem = null;
            _repeats = 0;
        }
        LogConnected(log, settings.Nats.Url, bus.Connections);
    }

    private void OnProblem(string problem)
    {
        lock (_gate)
        {
            if (problem == _lastProblem && ++_repeats % RepeatEvery != 0) return;
            if (problem != _lastProblem) _repeats = 0;
            _lastProblem = problem;
        }
        LogProblem(log, settings.Nats.Url, problem);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "NATS {Url}: auth {Auth}, {Tls}")]
    private static partial void LogConnecting(ILogger logger, string url, string auth, string tls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nats:TlsVerify=false: the server's certificate is not checked (a lab setting, never production)")]
    private static partial void LogNoVerify(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "NATS {Url}: connected (connection {Number})")]
    private static partial void LogConnected(ILogger logger, string url, int number);

    [LoggerMessage(Level = LogLevel.Error, Message = "NATS {Url}: {Problem}; retrying with backoff")]
    private static partial void LogProblem(ILogger logger, string url, string problem);
}
