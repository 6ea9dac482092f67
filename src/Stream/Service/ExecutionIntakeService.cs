using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Service;

internal enum FillIntakeOutcome
{
    Recorded,
    /// <summary>the fill id was journaled before: nothing changed.</summary>
    Duplicate,
    /// <summary>the journal could not record it (the sender should retry).</summary>
    JournalError,
}

internal readonly record struct FillIntakeResult(FillIntakeOutcome Outcome, string? Error);

/// <summary>
/// Fills arriving on <c>streamer.executions</c>:
/// <c>{"id":"exec-1","position_id":"META-1","symbol":"META260220C00720000","qty":-2,"price":18.40,"time":"2026-01-29T16:40:00Z"}</c>
/// (<c>qty</c> signed: + bought, − sold). A valid fill is journaled once per id (a repeat is
/// ignored: senders retry); a bad one raises <c>rejected_input</c> naming the field; a fill for a
/// position nobody monitors is kept and raises <c>unmonitored</c>. When the message has a
/// reply subject the sender gets <c>{"ok":true,"id","duplicate":bool}</c> or <c>{"ok":false,"error"}</c>.
/// Optional <c>exit_id</c>: the fill executes that exit's closing order (a confirmation; the engine
/// took the contracts off when it decided). <see cref="Accept"/> is the one way in for every intake.
/// </summary>
internal sealed class ExecutionIntakeService(IMessageBus bus, SqliteJournal journal, IPositionRegistry positions, AlertPublisher alerts, TimeProvider time) : IHostedService
{
    private IDisposable? _subscription;

    public event Action<FillRecord>? FillRecorded;

    /// <summary>A fill whose id was already journaled (nothing written).</summary>
    public event Action<FillRecord>? FillDuplicate;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(NatsSubjects.Executions, Handle);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private void Handle(BusMessage m)
    {
        byte[] reply;
        var error = TryParse(m.Data, out var fill);
        if (error is not null)
        {
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"{NatsSubjects.Executions}: {error}", key: error);
            reply = ServiceJson.Error(error);
        }
        else
        {
            var result = Accept(fill!);
            reply = result.Outcome == FillIntakeOutcome.JournalError
                ? ServiceJson.Error(result.Error!)
                : ServiceJson.Write(w =>
                {
                    w.WriteBoolean("ok"u8, true);
                    w.WriteString("id"u8, fill!.Id);
                    w.WriteBoolean("duplicate"u8, result.Outcome == FillIntakeOutcome.Duplicate);
                });
        }
        if (m.ReplyTo is not null) bus.TryPublish(m.ReplyTo, reply);
    }

    /// <summary>
    /// Takes a parsed fill from any intake (<c>streamer.executions</c>, Alpaca's <c>trade_updates</c>):
    /// journals it once per id, then raises <see cref="FillRecorded"/> (which applies it) or
    /// <see cref="FillDuplicate"/>. Thread-safe (the journal serialises).
    /// </summary>
    public FillIntakeResult Accept(FillRecord fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        FillRecordOutcome outcome;
        try
        {
            outcome = journal.RecordFill(fill, NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime));
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            alerts.Raise(AlertPublisher.Kinds.JournalError, $"fill '{fill.Id}' not journaled: {e.Message}");
            return new FillIntakeResult(FillIntakeOutcome.JournalError, "journal error: " + e.Message);
        }
        if (outcome == FillRecordOutcome.Duplicate)
        {
            FillDuplicate?.Invoke(fill);
            return new FillIntakeResult(FillIntakeOutcome.Duplicate, null);
        }
        FillRecorded?.Invoke(fill); // first: a handler may open the position the fill is for
        if (fill.ExitId is null && !positions.Contains(fill.PositionId)) // an exit's fill may close its position: not unmonitored
            alerts.Raise(AlertPublisher.Kinds.UnmonitoredPosition, $"fill '{fill.Id}' is for position '{fill.PositionId}', which is not monitored", key: fill.PositionId,
                [new("position_id", fill.PositionId), new("fill_id", fill.Id)]);
        return new FillIntakeResult(FillIntakeOutcome.Recorded, null);
    }

    /// <summary>null when valid; otherwise the error naming the field.</summary>
    internal static string? TryParse(byte[] data, out FillRecord? fill)
    {
        fill = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            return $"execution: not valid JSON ({e.Message})";
        }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return "execution: must be a JSON object";
            if (!Text(r, "id", out var id)) return "execution.id: missing or empty";
            var at = $"execution '{id}'";
            if (!Text(r, "position_id", out var position)) return $"{at}: position_id missing or empty";
            if (!Text(r, "symbol", out var symbol)) return $"{at}: symbol missing or empty";
            if (OccSymbol.LooksLikeOption(symbol) && !OccSymbol.TryParse(symbol, out _, out var symbolError)) return $"{at}: symbol '{symbol}': {symbolError}";
            if (!r.TryGetProperty("qty", out var qty) || qty.ValueKind != JsonValueKind.Number || qty.GetDouble() == 0) return $"{at}: qty must be a non-zero number (+ bought, - sold)";
            if (!r.TryGetProperty("price", out var price) || price.ValueKind != JsonValueKind.Number || price.GetDouble() < 0) return $"{at}: price must be a number, 0 or more";
            if (!Text(r, "time", out var timeText) || !NanoTime.TryParseRfc3339(timeText.AsSpan(), out var timeNs)) return $"{at}: time must be an RFC 3339 time";
            string? exitId = null;
            if (r.TryGetProperty("exit_id", out var exit) && exit.ValueKind != JsonValueKind.Null)
            {
                if (!Text(r, "exit_id", out var e)) return $"{at}: exit_id must be a non-empty string (the exit whose closing order filled) or absent";
                exitId = e;
            }
            fill = new FillRecord(id, position, symbol, qty.GetDouble(), price.GetDouble(), timeNs, Encoding.UTF8.GetString(data), exitId);
            return null;
        }
    }

    private static bool Text(JsonElement o, string name, out string value)
    {
        value = o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "";
        return value.Trim().Length > 0;
    }
}
