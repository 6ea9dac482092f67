using Streamer.Stream.Contracts.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Text.Json;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Service;

/// <summary>
/// The control API: one NATS service, <c>streamer</c> (NATS.Client.Services, the micro protocol), with
/// endpoints on <c>streamer.control.&lt;verb&gt;</c>, discoverable with <c>$SRV.PING</c>, <c>$SRV.INFO</c>
/// and <c>$SRV.STATS</c> (what <c>nats micro ls</c> shows). Every reply is <c>{"ok":true,…}</c> or
/// <c>{"ok":false,"error":"…"}</c> naming what is wrong; a refusal also carries the micro error
/// headers (<c>Nats-Service-Error</c>, code 400), so the service's stats count it.
/// <list type="bullet">
/// <item><c>list</c> → <c>{"ok":true,"positions":[{"id","status","definition","next_exit_seq","tranches_fired"}]}</c></item>
/// <item><c>add</c> (a position object, positions-file shape) → <c>{"ok":true,"id"}</c></item>
/// <item><c>remove</c> (<c>{"id":…}</c>) → <c>{"ok":true,"id"}</c></item>
/// <item><c>status</c> → <c>{"ok":true, …the heartbeat fields}</c></item>
/// </list>
/// The endpoints share the micro default queue group (<c>q</c>): if two engines ever serve the same
/// subjects, a request is answered, and acted on, once (docs/nats.md "Control API").
/// </summary>
internal sealed partial class ControlApiService(IMessageBus bus, IPositionRegistry positions, StatusReport report, ServiceStatus status, AlertPublisher alerts, ILogger<ControlApiService> log) : IHostedService
{
    /// <summary>the name <c>$SRV.INFO</c> gives; <c>$SRV.PING.streamer</c> finds every engine.</summary>
    public const string ServiceName = "streamer";

    private readonly CancellationTokenSource _stop = new();
    private Task<IAsyncDisposable?>? _serving;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        status.PositionsMonitored = positions.List().Count;
        // subscribing needs a connection: served in the background, so a start with NATS down is not blocked
        _serving = ServeAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_serving is not null && await _serving.ConfigureAwait(false) is { } service) await service.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task<IAsyncDisposable?> ServeAsync(CancellationToken stop)
    {
        var version = typeof(ControlApiService).Assembly.GetName().Version ?? new Version(0, 0, 0);
        var description = new ServiceDescription(ServiceName, $"{version.Major}.{version.Minor}.{Math.Max(0, version.Build)}", "Streamer exit engine: list, add, remove positions; status");
        ServiceEndpoint[] endpoints =
        [
            new("list", NatsSubjects.ControlPrefix + "list", m => Handle(m, List)),
            new("add", NatsSubjects.ControlPrefix + "add", m => Handle(m, Add)),
            new("remove", NatsSubjects.ControlPrefix + "remove", m => Handle(m, Remove)),
            new("status", NatsSubjects.ControlPrefix + "status", m => Handle(m, _ => Ok(ServiceJson.Write(w =>
            {
                w.WriteBoolean("ok"u8, true);
                report.Write(w, status.SampleTicksPerSecond());
            })))),
        ];
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        for (int retry = 0; !stop.IsCancellationRequested; retry++)
        {
            try
            {
                if (!await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(30), stop).ConfigureAwait(false)) continue;
                var service = await bus.ServeAsync(description, endpoints, stop).ConfigureAwait(false);
                LogServing(log, ServiceName, description.Version);
                return service;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return null;
            }
#pragma warning disable CA1031 // the control API must come up once NATS lets it: every failure is logged and retried
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogServeFailed(log, e.Message);
                try
                {
                    await Task.Delay(backoff.Delay(retry), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
        return null;
    }

    private static ServiceReply Ok(byte[] payload) => new(payload);

    private static ServiceReply Refused(string error) => new(ServiceJson.Error(error), error);

    private ServiceReply Handle(BusMessage request, Func<BusMessage, ServiceReply> handle)
    {
        try
        {
            return handle(request);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            alerts.Raise(AlertPublisher.Kinds.JournalError, $"{request.Subject}: journal error: {e.Message}");
            return new(ServiceJson.Error("journal error: " + e.Message), "journal error: " + e.Message, 500);
        }
    }

    private ServiceReply List(BusMessage _)
    {
        var list = positions.List();
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteStartArray("positions"u8);
            foreach (var p in list)
            {
                w.WriteStartObject();
                w.WriteString("id"u8, p.Id);
                w.WriteString("status"u8, "open"u8);
                w.WritePropertyName("definition"u8);
                w.WriteRawValue(p.DefinitionJson, skipInputValidation: false);
                if (p.StateJson is { } state)
                {
                    // contracts original/remaining, realized P&L, trailing peak: as last journaled (exits, fills, the periodic save)
                    w.WritePropertyName("state"u8);
                    w.WriteRawValue(state, skipInputValidation: false);
                }
                w.WriteNumber("next_exit_seq"u8, p.NextExitSequence);
                w.WriteStartArray("tranches_fired"u8);
                foreach (var t in p.TranchesFired) w.WriteNumberValue(t);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }));
    }

    private ServiceReply Add(BusMessage request)
    {
        var error = PositionDefinitionCheck.Validate(request.Data, out var id);
        error ??= positions.Add(id, System.Text.Encoding.UTF8.GetString(request.Data));
        if (error is not null)
        {
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"streamer.control.add: {error}", key: id);
            return Refused(error);
        }
        status.PositionsMonitored = positions.List().Count;
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
        }));
    }

    private ServiceReply Remove(BusMessage request)
    {
        string? id = null;
        try
        {
            using var doc = JsonDocument.Parse(request.Data);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var el) && el.ValueKind == JsonValueKind.String)
                id = el.GetString();
        }
        catch (JsonException)
        {
        }
        if (string.IsNullOrEmpty(id))
        {
            const string bad = "remove: expected {\"id\":\"<position id>\"}";
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, "streamer.control." + bad);
            return Refused(bad);
        }
        if (!positions.Remove(id)) return Refused($"remove: position '{id}' is not monitored");
        status.PositionsMonitored = positions.List().Count;
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
        }));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "control API: NATS service '{Name}' {Version} serving streamer.control.list|add|remove|status ($SRV discovery)")]
    private static partial void LogServing(ILogger logger, string name, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "control API: could not start its NATS service ({Error}); retrying")]
    private static partial void LogServeFailed(ILogger logger, string error);
}
