using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Service;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// <c>Alpaca:BrokenSpreadPolicy=close</c>: takes off the remainder of a broken position (<c>&lt;id&gt;.rest</c>) with one
/// market order per leg (legs may be stock and options: no mleg). Each order's intent is journaled first
/// (<c>exit_orders</c> row <c>broken-close:&lt;remainder&gt;/&lt;symbol&gt;</c>, client_order_id of the same text), before the
/// fills that open the remainder, so a restart resumes it (looked up by client_order_id: never sent twice). An order
/// goes out only once the broken position no longer holds the symbol in the engine, so its fill, heard on
/// trade_updates like any fill (or read from the order when it filled while the service was down), reduces the
/// remainder (realized P&amp;L at the fill price) and closes it. Refused or not
/// filled: <c>order_failed</c>; the remainder stays monitored under its book.
/// </summary>
internal sealed partial class OrphanCloser(AlpacaTradingClient client, JournalDatabase journal, TradeUpdatesIntake intake, AlertPublisher alerts, TimeProvider time, ILogger log)
{
    public const string Prefix = "broken-close:";

    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    private sealed class Work(ExitOrderRecord record, string symbol)
    {
        public ExitOrderRecord Record { get; set; } = record;
        public string Symbol { get; } = symbol;
        public bool MayExistAtBroker { get; set; }
        public long LastPoll { get; set; }
    }

    private readonly List<Work> _active = [];
    private readonly Lock _gate = new();

    /// <summary>At start: the closes a previous run owed and did not finish.</summary>
    public void Load()
    {
        foreach (var r in journal.Orders.ListOpenOrders(Prefix))
        {
            var symbol = r.ExitId[(r.ExitId.LastIndexOf('/') + 1)..];
            lock (_gate) _active.Add(new Work(r, symbol) { MayExistAtBroker = true });
        }
    }

    /// <summary>Journals the intent to close <paramref name="remainderId"/>'s legs (before the fills that open it).</summary>
    public void Owe(string remainderId, IEnumerable<string> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        long now = Now();
        foreach (var symbol in symbols)
        {
            string id = Prefix + remainderId + "/" + symbol;
            if (journal.Orders.FindExitOrder(id) is not null) continue; // owed before a restart
            var record = new ExitOrderRecord(id, remainderId, ClientOrderId(id), null, ExitOrderStatus.Pending, 1, null);
            journal.Orders.SaveExitOrder(record, now);
            lock (_gate) _active.Add(new Work(record, symbol) { MayExistAtBroker = true });
        }
    }

    /// <summary>Symbols being closed: reconciliation leaves them alone meanwhile.</summary>
    public IReadOnlySet<string> ActiveSymbols()
    {
        lock (_gate) return _active.Select(w => w.Symbol).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>One round (the trading loop, under the reconciliation gate): <paramref name="legs"/> as the engine holds them now.</summary>
    public async Task StepAsync(IReadOnlyList<MonitoredLeg> legs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(legs);
        Work[] work;
        lock (_gate) work = [.. _active];
        foreach (var w in work)
        {
            if (ct.IsCancellationRequested) return;
            try
            {
                await StepAsync(w, legs, ct).ConfigureAwait(false);
            }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or FormatException) && !ct.IsCancellationRequested)
            {
                w.MayExistAtBroker = true;
                alerts.Raise(AlertPublisher.Kinds.OrderFailed, $"closing {w.Symbol} of '{w.Record.PositionId}': trading API unreachable ({e.Message}); retrying", "unreachable|" + w.Record.ExitId,
                    [new("position_id", w.Record.PositionId), new("symbol", w.Symbol)]);
            }
            if (w.Record.IsDone)
                lock (_gate) _active.Remove(w);
        }
    }

    private async Task StepAsync(Work w, IReadOnlyList<MonitoredLeg> legs, CancellationToken ct)
    {
        long now = Now();
        if (w.Record.Status == ExitOrderStatus.Pending)
        {
            // the broken position must be gone from the engine first: the fill then has one holder, the remainder
            if (legs.Any(l => l.Symbol == w.Symbol && l.PositionId != w.Record.PositionId)) return;
            var mine = legs.Where(l => l.Symbol == w.Symbol && l.PositionId == w.Record.PositionId).Select(l => (MonitoredLeg?)l).FirstOrDefault();
            if (w.MayExistAtBroker)
            {
                var existing = await client.GetOrderByClientOrderIdAsync(w.Record.ClientOrderId, ct).ConfigureAwait(false);
                w.MayExistAtBroker = false;
                if (existing is not null)
                {
                    Save(w, w.Record with { OrderId = existing.Id, Status = ExitOrderStatus.Submitted }, now);
                    return;
                }
            }
            if (mine is not { } held)
            {
                if (journal.Positions.StatusOf(w.Record.PositionId) is null) return; // its opening fills are not applied yet
                Save(w, w.Record with { Status = ExitOrderStatus.Failed, LastError = "the remainder no longer holds it: nothing to close" }, now);
                return;
            }
            BrokerOrder order;
            try
            {
                order = await client.SubmitOrderAsync(ExitOrders.Build(w.Record.ClientOrderId, [(w.Symbol, -held.Qty)]), ct).ConfigureAwait(false);
            }
            catch (AlpacaApiException e) when (e.Status == 422 && e.ApiMessage.Contains("unique", StringComparison.OrdinalIgnoreCase))
            {
                w.MayExistAtBroker = true;
                return;
            }
            catch (AlpacaApiException e) when (e.Status is >= 400 and < 500)
            {
                Failed(w, $"refused ({e.Status} {e.Code}: {e.ApiMessage})", now);
                return;
            }
            Save(w, w.Record with { OrderId = order.Id, Status = ExitOrderStatus.Submitted }, now);
            LogSubmitted(log, w.Record.PositionId, w.Symbol, -held.Qty, order.Id);
            return;
        }
        // submitted: its fill reaches the remainder on trade_updates; the broker is asked how it ended
        if (time.GetElapsedTime(w.LastPoll) < PollEvery) return;
        w.LastPoll = time.GetTimestamp();
        var latest = await client.GetOrderAsync(w.Record.OrderId!, ct).ConfigureAwait(false);
        if (latest.Status == "filled")
        {
            // filled while nobody listened (a restart: trade_updates does not replay): the order's fills, the ids trade_updates would have given
            if (!journal.Fills.HasFillWithPrefix(BrokerFills.OrderPrefix(latest.Id)))
            {
                var fills = BrokerFills.FromFilledOrder(latest, now);
                if (fills.Count > 0)
                    intake.Accept(fills, w.Record.PositionId, new TradeUpdate("fill", latest, now, latest.FilledAvgPrice, latest.FilledQty, null, new Dictionary<string, decimal>()), null);
            }
            Save(w, w.Record with { Status = ExitOrderStatus.Filled }, now);
        }
        else if (latest.Status is "canceled" or "expired" or "rejected" or "done_for_day" or "stopped" or "suspended")
            Failed(w, $"order {latest.Id} {latest.Status} (filled {latest.FilledQty.ToString(CultureInfo.InvariantCulture)} of {latest.Qty.ToString(CultureInfo.InvariantCulture)})", now);
    }

    private void Failed(Work w, string reason, long now)
    {
        Save(w, w.Record with { Status = ExitOrderStatus.Failed, LastError = reason }, now);
        alerts.Raise(AlertPublisher.Kinds.OrderFailed,
            $"closing {w.Symbol} of the broken position's remainder '{w.Record.PositionId}': {reason}; the remainder stays monitored under its book: an operator acts",
            w.Record.ExitId, [new("position_id", w.Record.PositionId), new("symbol", w.Symbol), new("final", "true")]);
    }

    private void Save(Work w, ExitOrderRecord record, long now)
    {
        w.Record = record;
        journal.Orders.SaveExitOrder(record, now);
    }

    /// <summary>The row id itself when it fits Alpaca's 128 characters, else a stable digest of it.</summary>
    private static string ClientOrderId(string id) =>
        id.Length <= 128 ? id : Prefix + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..40];

    private long Now() => NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "broken position remainder {PositionId}: closing {Symbol} with {Qty} → order {OrderId}")]
    private static partial void LogSubmitted(ILogger logger, string positionId, string symbol, long qty, string orderId);
}
