using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// What reconciliation does with a <see cref="BrokenPosition"/> (docs/alpaca.md "Broken spreads and assignments"):
/// <list type="number">
/// <item>the alert: <c>broken_spread</c> or <c>assignment</c>, naming the position, each leg (monitored → broker), the
/// stock the broker now holds, the remainder and the policy;</item>
/// <item>one execution that closes the position whole in the engine (through the fills intake, so journal, state and
/// realized P&amp;L follow the one path every fill takes): a leg gone at the broker at the price it went (the broker's
/// order for it, 0 for assigned/exercised contracts: their value went into the shares at the strike), what the broker
/// still holds at its entry price (nothing realized: it moves on). A fill of the gone leg already heard on trade_updates
/// is in the basket and counts;</item>
/// <item>one execution that opens what remains as <c>&lt;id&gt;.rest</c> in <c>Alpaca:BrokenSpreadBook</c> (held legs at their
/// entries, assigned shares at the strike), in the same journal commit;</item>
/// <item>with <c>close</c>, the intent to close the remainder (<see cref="OrphanCloser"/>), journaled before the fills.</item>
/// </list>
/// Fill ids are fixed by the position (<c>alpaca:broken:&lt;id&gt;/&lt;symbol&gt;</c>), so a pass repeated after a crash
/// journals nothing twice.
/// </summary>
internal sealed partial class BrokenPositionHandler(
    ExecutionIntakeService intake, AlpacaTradingClient client, MonitoredPositions monitored, OrphanCloser? closer,
    AlertPublisher alerts, AlpacaTradingOptions options, TimeProvider time, ILogger log)
{
    public const string RemainderSuffix = ".rest";

    private string Book => options.BrokenSpreadBook.Length > 0 ? options.BrokenSpreadBook : options.DefaultBook;

    public async Task ApplyAsync(IReadOnlyList<BrokenPosition> broken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(broken);
        if (broken.Count == 0) return;
        IReadOnlyList<BrokerOrder> closed = [];
        if (broken.Any(b => b.Legs.Any(l => l.Changed && !l.Assigned && l.DeliveredAt is null && l.Unexplained != 0)))
        {
            try
            {
                closed = await client.GetOrdersAsync("closed", ct).ConfigureAwait(false);
            }
            catch (Exception e) when ((e is HttpRequestException or AlpacaApiException or TaskCanceledException or JsonException or FormatException) && !ct.IsCancellationRequested)
            {
                closed = []; // priced at entry below, and said so
            }
        }
        foreach (var b in broken) Apply(b, closed);
    }

    private void Apply(BrokenPosition b, IReadOnlyList<BrokerOrder> closedOrders)
    {
        long now = monitored.FeedNowNs(time);
        string rest = b.PositionId + RemainderSuffix;
        string kind = b.IsAssignment ? AlertPublisher.Kinds.Assignment : AlertPublisher.Kinds.BrokenSpread;
        var unpriced = new List<string>();

        // 1. the position closes whole
        var close = new List<FillRecord>();
        foreach (var l in b.Legs)
        {
            long q = -l.MonitoredQty - l.Pending; // what the basket still needs to close every open unit of this leg
            if (q == 0) continue;
            long gone = l.Changed ? l.Unexplained : 0, kept = -l.BrokerQty;
            double gonePrice = l.DeliveredAt ?? (l.Assigned ? 0 : l.EntryPrice);
            if (gone != 0 && !l.Assigned && l.DeliveredAt is null)
            {
                if (PriceOfBrokerClose(l.Symbol, gone, closedOrders) is { } p) gonePrice = (double)p;
                else unpriced.Add(l.Symbol);
            }
            double price = (gone * gonePrice + kept * l.EntryPrice) / q;
            close.Add(Fill(b.PositionId, l.Symbol, q, Math.Max(0, price), now, kind, b.PositionId));
        }

        // 2. what remains, as a new position
        var remainder = b.Legs.Where(l => l.BrokerQty != 0).Select(l => (l.Symbol, Qty: l.BrokerQty, Price: l.EntryPrice))
            .Concat(b.Stock.Select(s => (s.Symbol, s.Qty, Price: (double)s.Price))).ToList();
        var open = remainder.Select(r => Fill(rest, r.Symbol, r.Qty, r.Price, now, kind, b.PositionId)).ToList();

        var policy = remainder.Count == 0 ? "nothing remains" : options.BrokenSpreadPolicy == BrokenSpreadPolicy.Close ? "close" : "monitor";

        // 3. the closing intent before the fills: a crash after them still closes the remainder
        if (remainder.Count > 0 && options.BrokenSpreadPolicy == BrokenSpreadPolicy.Close && closer is not null)
            closer.Owe(rest, remainder.Select(r => r.Symbol));

        var executions = new List<IReadOnlyList<FillRecord>>();
        if (close.Count > 0) executions.Add(close);
        if (open.Count > 0) executions.Add(open);
        var results = executions.Count > 0 ? intake.AcceptMany(executions) : [];
        LogApplied(log, b.PositionId, kind, remainder.Count == 0 ? "-" : rest, policy, string.Join(", ", results.Select(r => r.Outcome)));
        // said once it is journaled: a crash before this repeats the pass (same fill ids), not the alert of a pass that did nothing
        if (results.Any(r => r.Outcome == Streamer.Stream.Service.FillIntakeOutcome.JournalError)) return;
        RaiseAlert(b, kind, rest, remainder, policy, unpriced);
    }

    /// <summary>The broker's latest filled order that took <paramref name="qty"/>'s side of the symbol (its leg's price for an mleg); null when none.</summary>
    private static decimal? PriceOfBrokerClose(string symbol, long qty, IReadOnlyList<BrokerOrder> orders)
    {
        string side = qty > 0 ? "buy" : "sell";
        foreach (var o in orders.Reverse())
        {
            if (o.FilledQty <= 0) continue;
            if (o.Legs.Count == 0 && o.Symbol == symbol && o.Side == side && o.FilledAvgPrice is { } p) return p;
            foreach (var l in o.Legs)
                if (l.Symbol == symbol && l.Side == side && l.FilledAvgPrice is { } lp) return lp;
        }
        return null;
    }

    private FillRecord Fill(string positionId, string symbol, long qty, double price, long timeNs, string kind, string brokenId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("source"u8, "alpaca");
            w.WriteString("event"u8, kind);
            w.WriteString("broken_position_id"u8, brokenId);
            w.WriteString("symbol"u8, symbol);
            w.WriteNumber("qty"u8, qty);
            w.WriteNumber("price"u8, price);
            w.WriteString("book"u8, Book); // the remainder's (a position opened by fills takes the fill's book)
            w.WriteEndObject();
        }
        // the broken position's id (or its remainder's) fixes the id: the same pass again is a duplicate
        return new FillRecord($"alpaca:broken:{positionId}/{symbol}", positionId, symbol, qty, price, timeNs, Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private void RaiseAlert(BrokenPosition b, string kind, string rest, IReadOnlyList<(string Symbol, long Qty, double Price)> remainder, string policy, IReadOnlyList<string> unpriced)
    {
        var legs = string.Join(", ", b.Legs.Select(l => $"{l.Symbol} {Num(l.MonitoredQty)} → {Num(l.BrokerQty)}{(l.Assigned ? (l.MonitoredQty < 0 ? " (assigned)" : " (exercised)") : l.DeliveredAt is { } at ? $" (delivered at {at.ToString(CultureInfo.InvariantCulture)})" : l.Changed ? " (closed outside Streamer)" : "")}"));
        var holds = remainder.Count == 0 ? "nothing of it" : string.Join(", ", remainder.Select(r => $"{Num(r.Qty)} {r.Symbol}"));
        string what = b.IsAssignment
            ? $"position '{b.PositionId}': assignment/exercise at the broker (not on trade_updates): {legs}; the broker now holds {holds}"
            : $"position '{b.PositionId}' is broken: a leg changed at the broker outside Streamer (e.g. the 15:30 ET pin-risk liquidation of a short leg): {legs}; the broker now holds {holds}";
        string then = remainder.Count == 0 ? "; the position is closed"
            : policy == "close" ? $"; closed in the journal, the rest opened as '{rest}' (book {Book}) and closed through the executor (Alpaca:BrokenSpreadPolicy=close)"
            : $"; closed in the journal, the rest monitored as '{rest}' under book {Book} (Alpaca:BrokenSpreadPolicy=monitor)";
        string priced = unpriced.Count == 0 ? "" : $"; no broker order found for {string.Join(", ", unpriced)}: taken at entry (nothing realized on it)";
        var details = new List<KeyValuePair<string, string>>
        {
            new("position_id", b.PositionId),
            new("legs", string.Join(",", b.Legs.Select(l => $"{l.Symbol}:{Num(l.MonitoredQty)}:{Num(l.BrokerQty)}"))),
            new("changed", string.Join(",", b.Legs.Where(l => l.Changed).Select(l => l.Symbol))),
            new("broker_holds", string.Join(",", remainder.Select(r => $"{r.Symbol}:{Num(r.Qty)}"))),
            new("policy", policy),
        };
        if (remainder.Count > 0)
        {
            details.Add(new("remainder_id", rest));
            details.Add(new("book", Book));
        }
        if (b.IsAssignment) details.Add(new("stock", string.Join(",", b.Stock.Select(s => $"{s.Symbol}:{Num(s.Qty)}@{s.Price.ToString(CultureInfo.InvariantCulture)}"))));
        alerts.Raise(kind, what + then + priced, b.PositionId, details);
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "reconciliation: {PositionId} {Kind}: closed in the journal; remainder {Remainder} ({Policy}); fills {Outcomes}")]
    private static partial void LogApplied(ILogger logger, string positionId, string kind, string remainder, string policy, string outcomes);
}
