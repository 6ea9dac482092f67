using Streamer.Stream.Contracts.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Text.Json;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Rules.Time;
using Streamer.Rules.Engine;

namespace Streamer.Stream.Service;

/// <summary>
/// The control API: one NATS service, <c>streamer</c> (NATS.Client.Services, the micro protocol), with
/// endpoints on <c>streamer.control.&lt;verb&gt;</c>, discoverable with <c>$SRV.PING</c>, <c>$SRV.INFO</c>
/// and <c>$SRV.STATS</c> (what <c>nats micro ls</c> shows). Every reply is <c>{"ok":true,…}</c> or
/// <c>{"ok":false,"error":"…"}</c> naming what is wrong; a refusal also carries the micro error
/// headers (<c>Nats-Service-Error</c>, code 400), so the service's stats count it.
/// <list type="bullet">
/// <item><c>list</c> (optional <c>{"after":"&lt;id&gt;","limit":n}</c>) → <c>{"ok":true,"positions":[{"id","status","definition","next_exit_seq","tranches_fired"}],"total","next_after"}</c>:
/// by id, one page as large as the server's <c>max_payload</c> allows; <c>next_after</c> is null on the last</item>
/// <item><c>add</c> (a position object, positions-file shape) → <c>{"ok":true,"id"}</c></item>
/// <item><c>remove</c> (<c>{"id":…}</c>) → <c>{"ok":true,"id"}</c></item>
/// <item><c>status</c> → <c>{"ok":true, …the heartbeat fields}</c></item>
/// <item><c>pause</c> / <c>resume</c> (<c>{"id":…}</c>) → <c>{"ok":true,"id","paused"}</c>: the position's rules stop (or start again) being
/// evaluated; it is still priced. Kept across restarts (the journal's last pause/resume of the position decides).</item>
/// </list>
/// add, remove, pause and resume are journaled in <c>control_actions</c> with who asked (<c>nats</c> over NATS; the
/// dashboard names itself and the remote address), refusals too. In-process callers use the same handlers through
/// <see cref="IControlApi"/>.
/// The endpoints share the micro default queue group (<c>q</c>): if two engines ever serve the same
/// subjects, a request is answered, and acted on, once (docs/nats.md "Control API").
/// </summary>
internal sealed partial class ControlApiService(IMessageBus bus, IPositionRegistry positions, StatusReport report, ServiceStatus status, AlertPublisher alerts, ILogger<ControlApiService> log, Microsoft.Extensions.Options.IOptions<IntakeOptions> intake,
    JournalDatabase? journal = null, TimeProvider? clock = null, IRuleControl? rules = null) : IHostedService, IControlApi
{
    /// <summary>who asked, for requests that arrive on NATS (core NATS carries no identity of the sender).</summary>
    public const string NatsActor = "nats";

    private static readonly string[] AllVerbs = ["list", "add", "remove", "status", "pause", "resume", "close"];

    public IReadOnlyList<string> Verbs => AllVerbs;

    /// <summary>the name <c>$SRV.INFO</c> gives; <c>$SRV.PING.streamer</c> finds every engine.</summary>
    public const string ServiceName = "streamer";

    private readonly CancellationTokenSource _stop = new();
    private readonly JournalGrowthBudget _growth = new(intake.Value.MaxJournalBytesPerMinute, TimeProvider.System);
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
        var description = new ServiceDescription(ServiceName, $"{version.Major}.{version.Minor}.{Math.Max(0, version.Build)}", "Streamer exit engine: list, add, remove, pause, resume positions; status");
        var endpoints = new ServiceEndpoint[AllVerbs.Length];
        for (int i = 0; i < AllVerbs.Length; i++)
        {
            string verb = AllVerbs[i];
            endpoints[i] = new(verb, NatsSubjects.ControlPrefix + verb, m => Handle(m, r => Dispatch(verb, r, NatsActor)));
        }
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

    public ServiceReply Invoke(string verb, byte[] request, string actor)
    {
        ArgumentNullException.ThrowIfNull(verb);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(actor);
        if (Array.IndexOf(AllVerbs, verb) < 0) return Refused($"unknown control verb '{verb}' (known: {string.Join(", ", AllVerbs)})");
        return Handle(new BusMessage(NatsSubjects.ControlPrefix + verb, null, request), r => Dispatch(verb, r, actor));
    }

    private ServiceReply Dispatch(string verb, BusMessage request, string actor) => verb switch
    {
        "list" => List(request),
        "add" => Add(request, actor),
        "remove" => Remove(request, actor),
        "pause" => Pause(request, actor, paused: true),
        "resume" => Pause(request, actor, paused: false),
        "close" => Close(request, actor),
        _ => Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            report.Write(w, status.SampleTicksPerSecond());
        })),
    };

    /// <summary>
    /// Journals who did what (control_actions); a journal that fails here fails the request, as the action's own write would.
    /// A refusal from NATS is not journaled (it is a rejected_input alert already): anyone on the bus could otherwise grow
    /// the journal without bound (docs/limits.md); refusals from the dashboard (an operator, signed in) are.
    /// </summary>
    private void Journal(string actor, string verb, string? id, string? error)
    {
        if (error is not null && actor == NatsActor) return;
        journal?.Actions.Record(NanoTime.FromDateTime((clock ?? TimeProvider.System).GetUtcNow().UtcDateTime), actor, verb, id, error is null, error);
    }

    private ServiceReply Handle(BusMessage request, Func<BusMessage, ServiceReply> handle)
    {
        // refused unread: neither parsed, journaled nor echoed (docs/limits.md)
        int limit = intake.Value.MaxMessageBytes;
        var refusal = request.Data.Length > limit
            ? $"{request.Subject}: {request.Data.Length} bytes is over the {limit}-byte limit (Intake:MaxMessageBytes); not read"
            : Streamer.Rules.Diagnostics.Utf8Text.Check(request.Data) is { } utf8 ? $"{request.Subject}: {utf8}" : null;
        if (refusal is not null)
        {
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, refusal, key: request.Subject);
            return Refused(refusal);
        }
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

    private ServiceReply List(BusMessage request)
    {
        var error = ListRequest.TryParse(request.Data, out var page);
        if (error is not null) return Refused(error);
        var open = positions.List();
        var ordered = new List<JournaledPosition>(open.Count);
        foreach (var p in open)
            if (page.After is null || string.CompareOrdinal(p.Id, page.After) > 0) ordered.Add(p);
        ordered.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id)); // by id: a cursor that holds while positions come and go
        // a page ends where the next entry would take the reply past what the server accepts (or at the asked limit)
        int budget = bus.MaxPayload - NatsBus.ReplyHeadroom - ListRequest.EnvelopeBytes;
        var entries = new List<byte[]>();
        int used = 0;
        foreach (var p in ordered)
        {
            if (entries.Count == page.Limit) break;
            var entry = ListEntry(p);
            if (used + entry.Length + 1 > budget && entries.Count > 0) break;
            entries.Add(entry);
            used += entry.Length + 1;
        }
        string? next = entries.Count < ordered.Count ? ordered[entries.Count - 1].Id : null;
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteStartArray("positions"u8);
            foreach (var e in entries) w.WriteRawValue(e, skipInputValidation: true);
            w.WriteEndArray();
            w.WriteNumber("total"u8, open.Count);
            // null on the last page; otherwise ask again with {"after": next_after}
            if (next is null) w.WriteNull("next_after"u8);
            else w.WriteString("next_after"u8, next);
        }));
    }

    private static byte[] ListEntry(JournaledPosition p) => ServiceJson.Write(w =>
    {
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
    });

    private ServiceReply Add(BusMessage request, string actor)
    {
        var error = PositionDefinitionCheck.Validate(request.Data, out var id);
        if (error is null && !_growth.TryTake(request.Data.Length))
            error = $"add: this source journaled {_growth.BytesPerMinute:N0} bytes in the last minute (Intake:MaxJournalBytesPerMinute); not added: send it again later";
        error ??= positions.Add(id, System.Text.Encoding.UTF8.GetString(request.Data));
        Journal(actor, "add", string.IsNullOrEmpty(id) ? null : id, error);
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

    /// <summary>The <c>{"id":…}</c> of remove/pause/resume; null (and a rejected_input alert) when it is not there.</summary>
    private string? RequestId(BusMessage request, string verb)
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
        if (!string.IsNullOrEmpty(id)) return id;
        alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"streamer.control.{verb}: expected {{\"id\":\"<position id>\"}}");
        return null;
    }

    private ServiceReply Remove(BusMessage request, string actor)
    {
        if (RequestId(request, "remove") is not { } id) return Refused("remove: expected {\"id\":\"<position id>\"}");
        if (!positions.Remove(id))
        {
            Journal(actor, "remove", id, "not monitored");
            return Refused($"remove: position '{id}' is not monitored");
        }
        Journal(actor, "remove", id, null);
        status.PositionsMonitored = positions.List().Count;
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
        }));
    }

    /// <summary>
    /// <c>streamer.control.close {"id"}</c>: closes the position now with an exit of rule <c>manual</c> (the
    /// executor, when it runs, turns it into orders like any exit). Reply <c>{"ok","id","exit"}</c>, the exit's id.
    /// </summary>
    private ServiceReply Close(BusMessage request, string actor)
    {
        if (RequestId(request, "close") is not { } id) return Refused("close: expected {\"id\":\"<position id>\"}");
        string? error = null;
        string? exit = null;
        if (rules is null) error = "close: this service runs no engine";
        else if (!positions.Contains(id)) error = $"close: position '{id}' is not monitored";
        else
        {
            var done = rules.CloseNowAsync(id, actor);
            if (!done.Wait(TimeSpan.FromSeconds(5))) error = $"close: position '{id}': its shard did not answer within 5 s";
            else
            {
                exit = done.Result.ExitId;
                error = done.Result.Outcome switch
                {
                    CloseNowOutcome.Closed => null,
                    CloseNowOutcome.AlreadyClosed => $"close: position '{id}' has nothing open (its exits or fills closed it)",
                    CloseNowOutcome.MarketClosed => $"close: position '{id}': the market is closed (exits fire only in the regular session); try again in session",
                    CloseNowOutcome.NotOpenYet => $"close: position '{id}' is not open yet (its opened_at is ahead of the market clock)",
                    CloseNowOutcome.NoClock => $"close: position '{id}': no market time yet (no tick has arrived); try again",
                    _ => $"close: position '{id}' is not in its engine yet (a tape has not reached its opened_at); try again",
                };
            }
        }
        Journal(actor, "close", id, error);
        if (error is not null) return Refused(error);
        LogClosed(log, id, exit!, actor);
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
            w.WriteString("exit"u8, exit);
        }));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "control: position '{Id}': closed now by exit {Exit} (asked by {Actor})")]
    private static partial void LogClosed(ILogger logger, string id, string exit, string actor);

    private ServiceReply Pause(BusMessage request, string actor, bool paused)
    {
        string verb = paused ? "pause" : "resume";
        if (RequestId(request, verb) is not { } id) return Refused($"{verb}: expected {{\"id\":\"<position id>\"}}");
        string? error = null;
        if (rules is null) error = $"{verb}: this service runs no engine";
        else if (!positions.Contains(id)) error = $"{verb}: position '{id}' is not monitored";
        else
        {
            // the handler is synchronous (the micro service's callback): the shard answers in microseconds, 5 s is a stuck shard
            var done = rules.SetPausedAsync(id, paused);
            if (!done.Wait(TimeSpan.FromSeconds(5))) error = $"{verb}: position '{id}': its shard did not answer within 5 s";
            else if (!done.Result) error = $"{verb}: position '{id}' is not in its engine yet (a tape has not reached its opened_at); try again";
        }
        Journal(actor, verb, id, error);
        if (error is not null) return Refused(error);
        LogPaused(log, id, verb, actor);
        return Ok(ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, id);
            w.WriteBoolean("paused"u8, paused);
        }));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "control: position '{Id}': {Verb} (asked by {Actor})")]
    private static partial void LogPaused(ILogger logger, string id, string verb, string actor);

    [LoggerMessage(Level = LogLevel.Information, Message = "control API: NATS service '{Name}' {Version} serving streamer.control.list|add|remove|status|pause|resume ($SRV discovery)")]
    private static partial void LogServing(ILogger logger, string name, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "control API: could not start its NATS service ({Error}); retrying")]
    private static partial void LogServeFailed(ILogger logger, string error);
}
