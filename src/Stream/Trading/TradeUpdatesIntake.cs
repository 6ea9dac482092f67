using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Service;

namespace Streamer.Stream.Trading;

/// <summary>
/// Alpaca's <c>trade_updates</c> into the service. Every <c>fill</c>/<c>partial_fill</c> becomes one
/// <see cref="FillRecord"/> per leg through <see cref="ExecutionIntakeService.Accept"/> (journaled once
/// per id: <c>alpaca:&lt;order id&gt;:&lt;cumulative filled qty&gt;[:&lt;symbol&gt;]</c>, stable across reconnects):
/// <list type="bullet">
/// <item>an order whose client_order_id is a journaled exit (or <c>&lt;exit&gt;#&lt;n&gt;</c>, a retry) → the
/// fill carries that <c>ExitId</c> and the exit's position: a confirmation (the engine took the contracts off when it decided);</item>
/// <item>otherwise → the monitored position holding the symbol (the one the fill reduces first), or a new
/// id <c>alpaca-&lt;symbol&gt;</c> that the intake opens as a one-leg position in <c>Alpaca:DefaultBook</c>;</item>
/// <item>an mleg order on symbols nobody monitors → the whole strategy adopted at once (all legs), its leg
/// fills journaled with it (not leg by leg, which would open one position per leg).</item>
/// </list>
/// Other events (<c>new</c>, <c>canceled</c>, <c>expired</c>, <c>rejected</c>, …) only reach the executor.
/// </summary>
internal sealed partial class TradeUpdatesIntake(
    ExecutionIntakeService intake, SqliteJournal journal, IPositionRegistry registry, MonitoredPositions monitored,
    AlertPublisher alerts, AlpacaTradingOptions options, TimeProvider time, ILogger log)
{
    /// <summary>Every update for an exit's order (exit id, update), for the executor.</summary>
    public event Action<string, TradeUpdate>? ExitOrderUpdate;

    public long FillsAccepted { get; private set; }

    public async Task HandleAsync(TradeUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        long now = NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
        var exitId = BrokerFills.ExitIdOf(update.Order.ClientOrderId, id => journal.FindExit(id) is not null);
        var fills = BrokerFills.From(update, now);
        if (exitId is not null)
        {
            var exit = journal.FindExit(exitId)!;
            foreach (var f in fills) Accept(f, exit.PositionId, update, exitId);
            ExitOrderUpdate?.Invoke(exitId, update);
            return;
        }
        if (fills.Count == 0) return;
        var legs = await monitored.LegsAsync().ConfigureAwait(false) ?? [];
        if (fills.Count > 1 && fills.All(f => legs.All(l => l.Symbol != f.Symbol)))
        {
            AdoptStrategy(update, fills, now);
            return;
        }
        foreach (var f in fills)
        {
            var position = MonitoredPositions.HolderOf(f.Symbol, f.Qty, legs) ?? monitored.NewId(f.Symbol);
            Accept(f, position, update, null);
        }
    }

    /// <summary>Journals a broker fill and applies it (the intake's one way in); for the executor's REST fallback too.</summary>
    public FillIntakeResult Accept(BrokerFill f, string positionId, TradeUpdate update, string? exitId)
    {
        ArgumentNullException.ThrowIfNull(f);
        var result = intake.Accept(new FillRecord(f.FillId, positionId, f.Symbol, (double)f.Qty, (double)f.Price, f.TimeNs, Raw(update, f, exitId), exitId));
        if (result.Outcome == FillIntakeOutcome.Recorded)
        {
            FillsAccepted++;
            LogFill(log, f.FillId, f.Symbol, f.Qty, f.Price, positionId, exitId ?? "-");
        }
        return result;
    }

    private void AdoptStrategy(TradeUpdate update, IReadOnlyList<BrokerFill> fills, long now)
    {
        if (journal.HasFill(fills[0].FillId)) return; // seen before: the strategy was adopted then
        var legs = fills.Select(f => (f.Symbol, Qty: f.Qty, f.Price)).ToList();
        string name = OccSymbol.LooksLikeOption(fills[0].Symbol) && OccSymbol.TryParse(fills[0].Symbol, out var occ, out _) ? occ.Root : fills[0].Symbol;
        string id = monitored.NewId(name);
        string? error = legs.Any(l => l.Qty != Math.Floor(l.Qty)) ? "a leg quantity is not whole" : null;
        string definition = MonitoredPositions.Definition(id, options.DefaultBook, legs.Select(l => (l.Symbol, (long)l.Qty, l.Price)));
        foreach (var f in fills)
            journal.RecordFill(new FillRecord(f.FillId, id, f.Symbol, (double)f.Qty, (double)f.Price, f.TimeNs, Raw(update, f, null)), now);
        error ??= registry.Add(id, definition);
        if (error is not null)
        {
            alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"trade_updates: mleg order {update.Order.Id} on unmonitored symbols cannot be adopted as '{id}': {error}", update.Order.Id,
                [new("order_id", update.Order.Id), new("position_id", id)]);
            return;
        }
        alerts.Raise(AlertPublisher.Kinds.UnmonitoredPosition,
            $"mleg order {update.Order.Id} ({update.Order.ClientOrderId}) filled on symbols nobody monitors: adopted as position '{id}' ({string.Join(", ", legs.Select(l => $"{l.Symbol} {l.Qty.ToString(CultureInfo.InvariantCulture)}"))}, book {options.DefaultBook})",
            id, [new("position_id", id), new("order_id", update.Order.Id)]);
    }

    /// <summary>The fill as journaled for audit; <c>book</c> is what a position opened from it gets.</summary>
    private string Raw(TradeUpdate u, BrokerFill f, string? exitId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("source"u8, "alpaca");
            w.WriteString("event"u8, u.Event);
            w.WriteString("order_id"u8, u.Order.Id);
            w.WriteString("client_order_id"u8, u.Order.ClientOrderId);
            w.WriteString("order_class"u8, u.Order.OrderClass);
            w.WriteString("symbol"u8, f.Symbol);
            w.WriteNumber("qty"u8, f.Qty);
            w.WriteNumber("price"u8, f.Price);
            w.WriteNumber("order_filled_qty"u8, u.Order.FilledQty);
            if (exitId is not null) w.WriteString("exit_id"u8, exitId);
            else w.WriteString("book"u8, options.DefaultBook);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "trade_updates fill {FillId}: {Symbol} {Qty} @ {Price} → position {PositionId} (exit {ExitId})")]
    private static partial void LogFill(ILogger logger, string fillId, string symbol, decimal qty, decimal price, string positionId, string exitId);
}
