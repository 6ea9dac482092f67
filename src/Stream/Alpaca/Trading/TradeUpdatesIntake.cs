using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// Alpaca's <c>trade_updates</c> into the service. Every <c>fill</c>/<c>partial_fill</c> becomes one
/// <see cref="FillRecord"/> per leg through <see cref="ExecutionIntakeService.Accept"/> (journaled once
/// per id: <c>alpaca:&lt;order id&gt;:&lt;cumulative filled qty&gt;[/&lt;symbol&gt;]</c>, stable across reconnects):
/// <list type="bullet">
/// <item>an order whose client_order_id is a journaled exit (or <c>&lt;exit&gt;#&lt;n&gt;</c>, a retry) → the
/// fill carries that <c>ExitId</c> and the exit's position: a confirmation (the engine took the contracts off when it decided);</item>
/// <item>otherwise → the monitored position holding the symbol (the one the fill reduces first), or a new
/// id <c>alpaca-&lt;symbol&gt;</c> that the intake opens as a one-leg position in <c>Alpaca:DefaultBook</c>;</item>
/// <item>an mleg order on symbols nobody monitors → one multi-leg execution for a new <c>alpaca-&lt;root&gt;</c>:
/// the intake opens the whole strategy at once (all legs), not one position per leg.</item>
/// </list>
/// Other events (<c>new</c>, <c>canceled</c>, <c>expired</c>, <c>rejected</c>, …) only reach the executor.
/// </summary>
internal sealed partial class TradeUpdatesIntake(
    ExecutionIntakeService intake, ExitStore exits, MonitoredPositions monitored,
    AlpacaTradingOptions options, TimeProvider time, ILogger log)
{
    /// <summary>Every update for an exit's order (exit id, update), for the executor.</summary>
    public event Action<string, TradeUpdate>? ExitOrderUpdate;

    private long _fillsAccepted;

    public long FillsAccepted => Interlocked.Read(ref _fillsAccepted);

    public async Task HandleAsync(TradeUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        long now = NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
        var exitId = BrokerFills.ExitIdOf(update.Order.ClientOrderId, id => exits.FindExit(id) is not null);
        var fills = BrokerFills.From(update, now);
        if (exitId is not null)
        {
            if (fills.Count > 0) Accept(fills, exits.FindExit(exitId)!.PositionId, update, exitId);
            ExitOrderUpdate?.Invoke(exitId, update);
            return;
        }
        if (fills.Count == 0) return;
        var legs = await monitored.LegsAsync().ConfigureAwait(false) ?? [];
        // one execution per position: legs a monitored position holds go to it (it resizes by whole units);
        // the rest, all together, open a new position (an mleg nobody monitors is adopted whole)
        string? newId = null;
        foreach (var group in fills.GroupBy(f => MonitoredPositions.HolderOf(f.Symbol, f.Qty, legs) ?? "", StringComparer.Ordinal))
        {
            string position = group.Key.Length > 0 ? group.Key : newId ??= monitored.NewId(NameOf(group.First().Symbol, fills.Count > 1));
            Accept([.. group], position, update, null);
        }
    }

    /// <summary>Journals one execution's leg fills for one position and applies them (the intake's one way in); for the executor's REST fallback too.</summary>
    public FillIntakeResult Accept(IReadOnlyList<BrokerFill> fills, string positionId, TradeUpdate update, string? exitId)
    {
        ArgumentNullException.ThrowIfNull(fills);
        var records = fills.Select(f => new FillRecord(f.FillId, positionId, f.Symbol, (double)f.Qty, (double)f.Price, f.TimeNs, Raw(update, f, exitId), exitId)).ToList();
        var result = intake.Accept(records);
        if (result.Outcome == FillIntakeOutcome.Recorded)
        {
            Interlocked.Add(ref _fillsAccepted, records.Count);
            foreach (var f in fills) LogFill(log, f.FillId, f.Symbol, f.Qty, f.Price, positionId, exitId ?? "-");
        }
        return result;
    }

    /// <summary>A new position's name: the symbol, or an option strategy's root.</summary>
    private static string NameOf(string symbol, bool strategy) =>
        strategy && OccSymbol.LooksLikeOption(symbol) && OccSymbol.TryParse(symbol, out var occ, out _) ? occ.Root : symbol;

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
