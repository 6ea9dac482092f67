using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Service;

/// <summary>
/// Fills arriving on <c>streamer.executions</c>:
/// <c>{"id":"exec-1","position_id":"META-1","symbol":"META260220C00720000","qty":-2,"price":18.40,"time":"2026-01-29T16:40:00Z"}</c>
/// (<c>qty</c> signed: + bought, − sold), or with <c>"legs":[{"symbol","qty","price"},…]</c> for a
/// multi-leg fill. A valid fill is journaled once per id (a repeat is ignored: senders retry); a bad
/// one raises <c>rejected_input</c> naming the field; the service applies what is new (opens,
/// grows, reduces: docs/run.md). When the message has a reply subject the sender gets
/// <c>{"ok":true,"id","duplicate":bool}</c> or <c>{"ok":false,"error"}</c>. Optional <c>exit_id</c>:
/// the fill executes that exit's closing order (a confirmation; the engine took the contracts off
/// when it decided). <see cref="Accept(IReadOnlyList{FillRecord})"/> is the one way in for every intake.
/// </summary>
public sealed class ExecutionIntakeService(IMessageBus bus, FillStore fillStore, IPositionRegistry positions, AlertPublisher alerts, TimeProvider time) : IHostedService
{
    private IDisposable? _subscription;

    /// <summary>An execution's fills new to the journal (one, or a multi-leg execution's legs), with their ordinals.</summary>
    public event Action<IReadOnlyList<FillRecord>>? FillRecorded;

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
        var error = TryParse(m.Data, out var fills);
        if (error is not null)
        {
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"{NatsSubjects.Executions}: {error}", key: error);
            reply = ServiceJson.Error(error);
        }
        else
        {
            var result = Accept(fills!);
            var id = ExecutionId(fills![0]);
            reply = result.Outcome == FillIntakeOutcome.JournalError
                ? ServiceJson.Error(result.Error!)
                : ServiceJson.Write(w =>
                {
                    w.WriteBoolean("ok"u8, true);
                    w.WriteString("id"u8, id);
                    w.WriteBoolean("duplicate"u8, result.Outcome == FillIntakeOutcome.Duplicate);
                });
        }
        if (m.ReplyTo is not null) bus.TryPublish(m.ReplyTo, reply);
    }

    /// <summary>One fill from any intake (<c>streamer.executions</c>, Alpaca's <c>trade_updates</c>): see <see cref="Accept(IReadOnlyList{FillRecord})"/>.</summary>
    public FillIntakeResult Accept(FillRecord fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        return Accept([fill]);
    }

    /// <summary>
    /// Takes one execution (a fill, or the legs of a multi-leg fill, all for one position) from any
    /// intake: journals each leg once per id, then raises <see cref="FillRecorded"/> with the legs new
    /// to the journal (which applies them) or <see cref="FillDuplicate"/> when none is. Thread-safe.
    /// </summary>
    public FillIntakeResult Accept(IReadOnlyList<FillRecord> fills)
    {
        ArgumentNullException.ThrowIfNull(fills);
        if (fills.Count == 0) throw new ArgumentException("an execution has at least one fill", nameof(fills));
        var recorded = new List<FillRecord>(fills.Count);
        long now = NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
        foreach (var leg in fills)
        {
            try
            {
                // a resent execution whose first legs were journaled before a crash: only the missing legs are new
                if (fillStore.RecordFill(leg, now, out long ordinal) == FillRecordOutcome.Recorded) recorded.Add(leg with { Ordinal = ordinal });
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                alerts.Raise(AlertPublisher.Kinds.JournalError, $"fill '{leg.Id}' not journaled: {e.Message}");
                if (recorded.Count > 0) FillRecorded?.Invoke(recorded);
                return new FillIntakeResult(FillIntakeOutcome.JournalError, "journal error: " + e.Message);
            }
        }
        var first = fills[0];
        if (recorded.Count == 0)
        {
            FillDuplicate?.Invoke(first);
            return new FillIntakeResult(FillIntakeOutcome.Duplicate, null);
        }
        FillRecorded?.Invoke(recorded); // first: a handler may open the position the fill is for
        if (first.ExitId is null && !positions.Contains(first.PositionId)) // an exit's fill may close its position: not unmonitored
            alerts.Raise(AlertPublisher.Kinds.UnmonitoredPosition, $"fill '{ExecutionId(first)}' is for position '{first.PositionId}', which is not monitored", key: first.PositionId,
                [new("position_id", first.PositionId), new("fill_id", ExecutionId(first))]);
        return new FillIntakeResult(FillIntakeOutcome.Recorded, null);
    }

    /// <summary>The execution's id: a multi-leg execution's legs are journaled as <c>&lt;id&gt;/&lt;symbol&gt;</c>.</summary>
    internal static string ExecutionId(FillRecord fill) => fill.Id.Contains('/', StringComparison.Ordinal) && fill.Id.EndsWith("/" + fill.Symbol, StringComparison.Ordinal)
        ? fill.Id[..^(fill.Symbol.Length + 1)]
        : fill.Id;

    /// <summary>
    /// null when valid; otherwise the error naming the field. A single fill
    /// <c>{"id","position_id","symbol","qty","price","time"}</c> or a multi-leg one with
    /// <c>"legs":[{"symbol","qty","price"},…]</c> instead of symbol/qty/price (each leg journaled as
    /// <c>&lt;id&gt;/&lt;symbol&gt;</c>, in the given order).
    /// </summary>
    internal static string? TryParse(byte[] data, out IReadOnlyList<FillRecord>? fills)
    {
        fills = null;
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
            if (!Text(r, "time", out var timeText) || !NanoTime.TryParseRfc3339(timeText.AsSpan(), out var timeNs)) return $"{at}: time must be an RFC 3339 time";
            string? exitId = null;
            if (r.TryGetProperty("exit_id", out var exit) && exit.ValueKind != JsonValueKind.Null)
            {
                if (!Text(r, "exit_id", out var e)) return $"{at}: exit_id must be a non-empty string (the exit whose closing order filled) or absent";
                exitId = e;
            }
            var raw = Encoding.UTF8.GetString(data);
            if (!r.TryGetProperty("legs", out var legs))
            {
                var error = Leg(r, at, out var symbol, out var qty, out var price);
                if (error is not null) return error;
                fills = [new FillRecord(id, position, symbol, qty, price, timeNs, raw, exitId)];
                return null;
            }
            if (r.TryGetProperty("symbol", out _)) return $"{at}: give either symbol/qty/price or legs, not both";
            if (legs.ValueKind != JsonValueKind.Array || legs.GetArrayLength() == 0) return $"{at}: legs must be a non-empty array of {{symbol, qty, price}}";
            var list = new List<FillRecord>();
            int i = 0;
            foreach (var leg in legs.EnumerateArray())
            {
                var legAt = $"{at}: legs[{i++}]";
                if (leg.ValueKind != JsonValueKind.Object) return $"{legAt}: must be an object {{symbol, qty, price}}";
                var error = Leg(leg, legAt, out var symbol, out var qty, out var price);
                if (error is not null) return error;
                if (list.Exists(f => f.Symbol == symbol)) return $"{legAt}: {symbol} appears twice";
                list.Add(new FillRecord($"{id}/{symbol}", position, symbol, qty, price, timeNs, raw, exitId));
            }
            fills = list;
            return null;
        }
    }

    private static string? Leg(JsonElement o, string at, out string symbol, out double qty, out double price)
    {
        qty = price = 0;
        if (!Text(o, "symbol", out symbol)) return $"{at}: symbol missing or empty";
        if (OccSymbol.LooksLikeOption(symbol) && !OccSymbol.TryParse(symbol, out _, out var symbolError)) return $"{at}: symbol '{symbol}': {symbolError}";
        // a symbol becomes a NATS subject token (its underlying's exits): one that cannot be one is refused here, not at publish
        if (!OccSymbol.LooksLikeOption(symbol) && !Streamer.Rules.Positions.LegSymbols.IsTicker(symbol))
            return $"{at}: symbol '{symbol}' is neither an OCC option symbol nor a stock ticker (A-Z, 0-9, single '.', '/' or '-' between them)";
        if (!o.TryGetProperty("qty", out var q) || q.ValueKind != JsonValueKind.Number || q.GetDouble() == 0) return $"{at}: qty must be a non-zero number (+ bought, - sold)";
        if (!o.TryGetProperty("price", out var p) || p.ValueKind != JsonValueKind.Number || p.GetDouble() < 0) return $"{at}: price must be a number, 0 or more";
        qty = q.GetDouble();
        price = p.GetDouble();
        return null;
    }

    private static bool Text(JsonElement o, string name, out string value)
    {
        value = o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "";
        return value.Trim().Length > 0;
    }
}
