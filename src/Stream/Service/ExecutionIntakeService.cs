using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
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
public sealed class ExecutionIntakeService(IMessageBus bus, FillStore fillStore, IPositionRegistry positions, AlertPublisher alerts, TimeProvider time, Microsoft.Extensions.Options.IOptions<IntakeOptions> options) : IHostedService
{
    /// <summary>messages read per group commit: one fsync for all their fills.</summary>
    public const int BatchLimit = 256;

    /// <summary>messages waiting for the intake loop; past it a sender is told to retry (nothing is journaled for it).</summary>
    public const int QueueLimit = 16_384;

    private readonly System.Threading.Channels.Channel<BusMessage> _queue = System.Threading.Channels.Channel.CreateBounded<BusMessage>(
        new System.Threading.Channels.BoundedChannelOptions(QueueLimit) { SingleReader = true, FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait });
    private IDisposable? _subscription;
    private Task? _loop;
    private readonly JournalGrowthBudget _growth = new(options.Value.MaxJournalBytesPerMinute, time);

    /// <summary>An execution's fills new to the journal (one, or a multi-leg execution's legs), with their ordinals.</summary>
    public event Action<IReadOnlyList<FillRecord>>? FillRecorded;

    /// <summary>A fill whose id was already journaled (nothing written).</summary>
    public event Action<FillRecord>? FillDuplicate;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(IntakeLoopAsync, CancellationToken.None);
        // a queue group, as the control API's: two engines on one server never both journal and apply one fill (docs/nats.md)
        _subscription = bus.Subscribe(NatsSubjects.Executions, NatsSubjects.IntakeQueueGroup, Enqueue);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        _queue.Writer.TryComplete();
        if (_loop is not null) await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // the client's delivery thread only queues: the intake loop reads what has arrived as one batch, one commit
    private void Enqueue(BusMessage m)
    {
        if (_queue.Writer.TryWrite(m)) return;
        const string busy = "execution: the intake queue is full (16384 messages waiting); not journaled: send it again";
        alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"{NatsSubjects.Executions}: {busy}", key: "queue_full");
        if (m.ReplyTo is not null) bus.TryPublish(m.ReplyTo, ServiceJson.Error(busy));
    }

    private async Task IntakeLoopAsync()
    {
        var batch = new List<BusMessage>(BatchLimit);
        var parsed = new List<(BusMessage Message, IReadOnlyList<FillRecord>? Fills, byte[]? Reply)>(BatchLimit);
        var executions = new List<IReadOnlyList<FillRecord>>(BatchLimit);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < BatchLimit && _queue.Reader.TryRead(out var m)) batch.Add(m);
            try
            {
                parsed.Clear();
                executions.Clear();
                foreach (var m in batch)
                {
                    var error = Parse(m, out var fills);
                    if (error is null) executions.Add(fills!);
                    parsed.Add((m, fills, error is null ? null : ServiceJson.Error(error)));
                }
                var results = executions.Count > 0 ? AcceptMany(executions) : [];
                int k = 0;
                foreach (var (m, fills, refusal) in parsed)
                {
                    var reply = refusal ?? ReplyFor(fills![0], results[k++]);
                    if (m.ReplyTo is not null) bus.TryPublish(m.ReplyTo, reply);
                }
            }
#pragma warning disable CA1031 // whatever a batch does, its senders get an answer and the next batch is read
            catch (Exception e)
#pragma warning restore CA1031
            {
                var error = $"{NatsSubjects.Executions}: not applied: {e.GetType().Name}: {e.Message}";
                alerts.Raise(AlertPublisher.Kinds.RejectedInput, error, key: e.GetType().Name);
                foreach (var m in batch)
                    if (m.ReplyTo is not null) bus.TryPublish(m.ReplyTo, ServiceJson.Error(error));
            }
        }
    }

    /// <summary>null with the execution's fills, or the refusal (alerted) naming what is wrong.</summary>
    private string? Parse(BusMessage m, out IReadOnlyList<FillRecord>? fills)
    {
        fills = null;
        int limit = options.Value.MaxMessageBytes;
        var error = m.Data.Length > limit
            ? $"execution: {m.Data.Length} bytes is over the {limit}-byte limit (Intake:MaxMessageBytes); not read"
            : TryParse(m.Data, out fills);
        // each leg journals the message as it came: that is what the source adds to the disk
        if (error is null && !_growth.TryTake((long)m.Data.Length * fills!.Count))
        {
            fills = null;
            error = $"execution: this source journaled {_growth.BytesPerMinute:N0} bytes in the last minute (Intake:MaxJournalBytesPerMinute); not journaled: send it again later";
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"{NatsSubjects.Executions}: {error}", key: "journal_growth");
            return error;
        }
        if (error is not null) alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"{NatsSubjects.Executions}: {error}", key: error);
        return error;
    }

    private static byte[] ReplyFor(FillRecord first, FillIntakeResult result) => result.Outcome == FillIntakeOutcome.JournalError
        ? ServiceJson.Error(result.Error!)
        : ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, true);
            w.WriteString("id"u8, ExecutionId(first));
            w.WriteBoolean("duplicate"u8, result.Outcome == FillIntakeOutcome.Duplicate);
        });

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
    public FillIntakeResult Accept(IReadOnlyList<FillRecord> fills) => AcceptMany([fills])[0];

    /// <summary>
    /// As <see cref="Accept(IReadOnlyList{FillRecord})"/> for several executions, in order, with one
    /// journal commit (one fsync) for all their fills: the intake's group commit. All or nothing: a
    /// journal error journals none of them, and each result says so (the senders retry).
    /// </summary>
    public FillIntakeResult[] AcceptMany(IReadOnlyList<IReadOnlyList<FillRecord>> executions)
    {
        ArgumentNullException.ThrowIfNull(executions);
        var legs = new List<FillRecord>();
        foreach (var fills in executions)
        {
            ArgumentNullException.ThrowIfNull(fills);
            if (fills.Count == 0) throw new ArgumentException("an execution has at least one fill", nameof(executions));
            legs.AddRange(fills);
        }
        var outcomes = new FillRecordOutcome[legs.Count];
        var ordinals = new long[legs.Count];
        var results = new FillIntakeResult[executions.Count];
        long now = NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
        try
        {
            // a resent execution whose first legs were journaled before a crash: only the missing legs are new
            fillStore.RecordFills(legs, now, outcomes, ordinals);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            alerts.Raise(AlertPublisher.Kinds.JournalError, $"{legs.Count} fill(s) (the first '{legs[0].Id}') not journaled: {e.Message}");
            Array.Fill(results, new FillIntakeResult(FillIntakeOutcome.JournalError, "journal error: " + e.Message));
            return results;
        }
        int at = 0;
        for (int x = 0; x < executions.Count; x++)
        {
            var fills = executions[x];
            var recorded = new List<FillRecord>(fills.Count);
            for (int i = 0; i < fills.Count; i++, at++)
                if (outcomes[at] == FillRecordOutcome.Recorded) recorded.Add(fills[i] with { Ordinal = ordinals[at] });
            results[x] = Announce(fills[0], recorded);
        }
        return results;
    }

    private FillIntakeResult Announce(FillRecord first, List<FillRecord> recorded)
    {
        if (recorded.Count == 0)
        {
            FillDuplicate?.Invoke(first);
            return new FillIntakeResult(FillIntakeOutcome.Duplicate, null);
        }
        bool monitoredBefore = first.ExitId is null && positions.Contains(first.PositionId);
        FillRecorded?.Invoke(recorded); // first: a handler may open the position the fill is for
        // an exit's fill, or one that closed its monitored position (reconciliation closing a broken spread), is not unmonitored
        if (first.ExitId is null && !monitoredBefore && !positions.Contains(first.PositionId))
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
        // System.Text.Json checks UTF-8 only when a string is read, and then throws: refused here, whole
        if (Streamer.Rules.Diagnostics.Utf8Text.Check(data) is { } utf8) return "execution: " + utf8;
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
            if (PositionIds.CheckText(id) is { } idError) return $"execution.id '{PositionIds.Printable(id, 40)}': {idError}";
            var at = $"execution '{id}'";
            if (!Text(r, "position_id", out var position)) return $"{at}: position_id missing or empty";
            if (PositionIds.Check(position) is { } positionError) return $"{at}: position_id '{PositionIds.Printable(position, 40)}': {positionError}";
            if (!Text(r, "time", out var timeText) || !NanoTime.TryParseRfc3339(timeText.AsSpan(), out var timeNs)) return $"{at}: time must be an RFC 3339 time";
            string? exitId = null;
            if (r.TryGetProperty("exit_id", out var exit) && exit.ValueKind != JsonValueKind.Null)
            {
                if (!Text(r, "exit_id", out var e)) return $"{at}: exit_id must be a non-empty string (the exit whose closing order filled) or absent";
                if (PositionIds.CheckText(e) is { } exitError) return $"{at}: exit_id '{PositionIds.Printable(e, 40)}': {exitError}";
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

    /// <summary>a price per share or contract no listed instrument reaches (BRK.A trades near 1e6).</summary>
    public const double MaxFillPrice = 10_000_000;

    /// <summary>as positions files allow (formats.md: at most 1e9 contracts or shares).</summary>
    public const double MaxFillQuantity = 1e9;

    private static string? Leg(JsonElement o, string at, out string symbol, out double qty, out double price)
    {
        qty = price = 0;
        if (!Text(o, "symbol", out symbol)) return $"{at}: symbol missing or empty";
        // echoed cut short: a symbol is at most 21 characters, and a megabyte of one must not become a megabyte of alert
        var shown = PositionIds.Printable(symbol, 32);
        if (OccSymbol.LooksLikeOption(symbol) && !OccSymbol.TryParse(symbol, out _, out var symbolError)) return $"{at}: symbol '{shown}': {symbolError}";
        // a symbol becomes a NATS subject token (its underlying's exits): one that cannot be one is refused here, not at publish
        if (!OccSymbol.LooksLikeOption(symbol) && !LegSymbols.IsTicker(symbol))
            return $"{at}: symbol '{shown}' is neither an OCC option symbol nor a stock ticker (A-Z, 0-9, single '.', '/' or '-' between them)";
        if (!o.TryGetProperty("qty", out var q) || q.ValueKind != JsonValueKind.Number || !q.TryGetDouble(out qty) || qty == 0 || !double.IsFinite(qty) || Math.Abs(qty) > MaxFillQuantity)
            return $"{at}: qty must be a non-zero number (+ bought, - sold) of at most {MaxFillQuantity:0} in size";
        if (!o.TryGetProperty("price", out var p) || p.ValueKind != JsonValueKind.Number || !p.TryGetDouble(out price) || !(price > 0) || price > MaxFillPrice)
            return $"{at}: price must be a number above 0 and at most {MaxFillPrice:0} (a fill at 0 or 1e308 is not a trade)";
        return null;
    }

    private static bool Text(JsonElement o, string name, out string value)
    {
        value = o.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "";
        return value.Trim().Length > 0;
    }
}
