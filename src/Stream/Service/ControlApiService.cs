using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Text.Json;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Service;

/// <summary>
/// Request/reply on <c>streamer.control.&lt;verb&gt;</c>. Every reply is <c>{"ok":true,…}</c> or
/// <c>{"ok":false,"error":"…"}</c> naming what is wrong.
/// <list type="bullet">
/// <item><c>list</c> → <c>{"ok":true,"positions":[{"id","status","definition","next_exit_seq","tranches_fired"}]}</c></item>
/// <item><c>add</c> (a position object, positions-file shape) → <c>{"ok":true,"id"}</c></item>
/// <item><c>remove</c> (<c>{"id":…}</c>) → <c>{"ok":true,"id"}</c></item>
/// <item><c>status</c> → <c>{"ok":true, …the heartbeat fields}</c></item>
/// </list>
/// </summary>
internal sealed partial class ControlApiService(IMessageBus bus, IPositionRegistry positions, StatusReport report, ServiceStatus status, AlertPublisher alerts, ILogger<ControlApiService> log) : IHostedService
{
    private readonly List<IDisposable> _subscriptions = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscriptions.Add(bus.Subscribe(NatsSubjects.ControlPrefix + "list", m => Reply(m, List)));
        _subscriptions.Add(bus.Subscribe(NatsSubjects.ControlPrefix + "add", m => Reply(m, Add)));
        _subscriptions.Add(bus.Subscribe(NatsSubjects.ControlPrefix + "remove", m => Reply(m, Remove)));
        _subscriptions.Add(bus.Subscribe(NatsSubjects.ControlPrefix + "status", m => Reply(m, _ => ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            report.Write(w, status.SampleTicksPerSecond());
        }))));
        status.PositionsMonitored = positions.List().Count;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var s in _subscriptions) s.Dispose();
        _subscriptions.Clear();
        return Task.CompletedTask;
    }

    private void Reply(BusMessage request, Func<BusMessage, byte[]> handle)
    {
        if (request.ReplyTo is null)
        {
            LogNoReply(log, request.Subject);
            return;
        }
        byte[] reply;
        try
        {
            reply = handle(request);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            alerts.Raise(AlertPublisher.Kinds.JournalError, $"{request.Subject}: journal error: {e.Message}");
            reply = ServiceJson.Error("journal error: " + e.Message);
        }
        bus.TryPublish(request.ReplyTo, reply);
    }

    private byte[] List(BusMessage _)
    {
        var list = positions.List();
        return ServiceJson.Write(w =>
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
        });
    }

    private byte[] Add(BusMessage request)
    {
        var error = PositionDefinitionCheck.Validate(request.Data, out var id);
        error ??= positions.Add(id, System.Text.Encoding.UTF8.GetString(request.Data));
        if (error is not null)
        {
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"streamer.control.add: {error}", key: id);
            return ServiceJson.Error(error);
        }
        status.PositionsMonitored = positions.List().Count;
        return ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
        });
    }

    private byte[] Remove(BusMessage request)
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
            return ServiceJson.Error(bad);
        }
        if (!positions.Remove(id)) return ServiceJson.Error($"remove: position '{id}' is not monitored");
        status.PositionsMonitored = positions.List().Count;
        return ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subject}: request without a reply subject ignored")]
    private static partial void LogNoReply(ILogger logger, string subject);
}
