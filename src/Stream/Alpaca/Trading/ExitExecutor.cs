using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Streamer.Rules.Engine;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Contracts;
using Streamer.Stream.Contracts.Resilience;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// <c>Alpaca:Executor=true</c>: each journaled exit becomes its closing order (<see cref="ExitOrders.Build"/>:
/// one leg simple, a spread one <c>mleg</c>; market, or with <c>Alpaca:OrderType=limit</c> a marketable limit from
/// the exit's marks, <see cref="ExitLimitPricing"/>, widened on each retry), with the exit id as client_order_id. The journal's
/// <c>exit_orders</c> row is written before each submit, so a restart looks the order up by its
/// client_order_id (and a 422 "must be unique" means it exists) instead of sending it twice. The fill
/// comes back on trade_updates (an ExitId fill); then the execution is reported on
/// <c>streamer.executions.reported</c>. A refused order (4xx), or one not filled within
/// <c>Alpaca:OrderTimeoutSeconds</c> (canceled first), raises <c>order_failed</c> and is retried with
/// client_order_id <c>&lt;exit&gt;#&lt;n&gt;</c> for what is still unfilled, after 1, 2, 4 … s (capped at 30 s);
/// after <c>Alpaca:OrderRetries</c> retries the row is <c>failed</c>, a last <c>order_failed</c> says the
/// position is flagged, and nothing more is sent. All of it runs on the trading service's loop.
/// </summary>
internal sealed partial class ExitExecutor(
    AlpacaTradingClient client, JournalDatabase journal, TradeUpdatesIntake intake, AlertPublisher alerts, IMessageBus bus,
    AlpacaTradingOptions options, TimeProvider time, ILogger log)
{
    public const string ReportSubject = "streamer.executions.reported";

    private sealed class Work(JournaledExit exit, IReadOnlyList<ExitLeg> legs, ExitOrderRecord record)
    {
        public JournaledExit Exit { get; } = exit;
        public IReadOnlyList<ExitLeg> PricedLegs { get; } = legs;
        public IReadOnlyList<(string Symbol, long Qty)> Legs { get; } = [.. legs.Select(l => (l.Symbol, l.Qty))];
        public ExitOrderPrice Price { get; set; } = ExitOrderPrice.AtMarket; // of the latest attempt sent (this run)
        public ExitOrderRecord Record { get; set; } = record;
        public long UnitsFilledBefore { get; set; } // filled by earlier attempts (this run)
        public long NextTryAt { get; set; }
        public long SubmittedAt { get; set; }
        public bool MayExistAtBroker { get; set; }
        public BrokerOrder? Latest { get; set; }
    }

    private readonly Dictionary<string, Work> _active = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private long _filled;
    private long _failed;

    public long OrdersFilled => Interlocked.Read(ref _filled);

    /// <summary>exits given up (flagged) this run.</summary>
    public long OrdersFailed => Interlocked.Read(ref _failed);

    /// <summary>exits whose orders are not done.</summary>
    public int Working
    {
        get { lock (_gate) return _active.Count; }
    }

    /// <summary>Symbols of exits whose orders are not done: reconciliation leaves them alone.</summary>
    public IReadOnlySet<string> ActiveSymbols()
    {
        lock (_gate) return _active.Values.SelectMany(w => w.Legs.Select(l => l.Symbol)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// At start: exits up to <paramref name="upToOrd"/> the executor had seen (after its start mark) whose
    /// order is not finished are resumed. Exits it never saw (decided while it was off, or in the
    /// moment before a crash) and that have no order row are not traded late: each is marked
    /// <c>failed</c> and one <c>order_failed</c> alert lists them.
    /// </summary>
    public void LoadBacklog(long upToOrd)
    {
        long from = journal.Orders.ExecutorStartOrd();
        long seen = Math.Max(from, journal.Orders.TradingValue(SeenKey) ?? from);
        var unseen = new List<JournaledExit>();
        while (from < upToOrd)
        {
            var batch = journal.Exits.ExitsAfter(from);
            if (batch.Count == 0) break;
            foreach (var (ord, exit) in batch)
            {
                if (ord > upToOrd) break;
                var record = journal.Orders.FindExitOrder(exit.Id);
                if (record is { IsDone: true }) continue;
                if (ord > seen && record is null) unseen.Add(exit);
                else Track(exit, record, recovered: true);
            }
            from = batch[^1].Ord;
        }
        MarkSeen(upToOrd);
        if (unseen.Count == 0) return;
        long now = Now();
        foreach (var exit in unseen)
        {
            journal.Orders.SaveExitOrder(new ExitOrderRecord(exit.Id, exit.PositionId, exit.Id, null, ExitOrderStatus.Failed, 0, "decided while the executor was not running: not traded late"), now);
            Interlocked.Increment(ref _failed);
        }
        alerts.Raise(AlertPublisher.Kinds.OrderFailed,
            $"{unseen.Count} exit(s) decided while the executor was not running are NOT traded (their positions are flagged): {string.Join(", ", unseen.Take(20).Select(e => e.Id))}{(unseen.Count > 20 ? ", …" : "")}",
            "unseen", [new("exit_ids", string.Join(",", unseen.Select(e => e.Id))), new("final", "true")]);
    }

    /// <summary>The executor has seen every exit up to <paramref name="ord"/> (journaled, so a restart knows which ones it never saw).</summary>
    public void MarkSeen(long ord)
    {
        if (ord > _seen)
        {
            journal.Orders.SetTradingValue(SeenKey, ord);
            _seen = ord;
        }
    }

    private const string SeenKey = "executor_seen_ord";
    private long _seen;

    /// <summary>A newly journaled exit.</summary>
    public void Track(JournaledExit exit) => Track(exit, journal.Orders.FindExitOrder(exit.Id), recovered: false);

    private void Track(JournaledExit exit, ExitOrderRecord? record, bool recovered)
    {
        ArgumentNullException.ThrowIfNull(exit);
        if (record is { IsDone: true }) return;
        IReadOnlyList<ExitLeg> legs;
        try
        {
            legs = ExitLegsWithMarks(exit.Payload);
            ExitOrders.Build(exit.Id, [.. legs.Select(l => (l.Symbol, (long)l.Qty))]); // refuses what can never be an order
        }
        catch (Exception e) when (e is FormatException or ArgumentException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            var failed = new ExitOrderRecord(exit.Id, exit.PositionId, exit.Id, null, ExitOrderStatus.Failed, 0, e.Message);
            journal.Orders.SaveExitOrder(failed, Now());
            Interlocked.Increment(ref _failed);
            alerts.Raise(AlertPublisher.Kinds.OrderFailed, $"exit '{exit.Id}' cannot be executed: {e.Message}; position '{exit.PositionId}' flagged", exit.Id,
                [new("exit_id", exit.Id), new("position_id", exit.PositionId)]);
            return;
        }
        record ??= new ExitOrderRecord(exit.Id, exit.PositionId, exit.Id, null, ExitOrderStatus.Pending, 1, null);
        var work = new Work(exit, legs, record) { MayExistAtBroker = recovered || record.OrderId is not null };
        work.Price = PriceOf(work);
        if (work.Price.MarketReason is { } why) LogMarketFallback(log, exit.Id, why);
        // submitted before a restart: ask the broker at once (its fill may have come while nobody listened)
        if (record.Status == ExitOrderStatus.Submitted) work.SubmittedAt = recovered ? Now() - options.OrderTimeout.Ticks * 100 : Now();
        lock (_gate) _active.TryAdd(exit.Id, work);
    }

    /// <summary>A trade update for an exit's order (from the intake's thread).</summary>
    public void OnOrderUpdate(string exitId, TradeUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_gate)
        {
            if (_active.TryGetValue(exitId, out var w) && (w.Record.OrderId is null || w.Record.OrderId == update.Order.Id || w.Record.ClientOrderId == update.Order.ClientOrderId))
                w.Latest = update.Order;
        }
    }

    /// <summary>One round over every active exit (the service's loop).</summary>
    public async Task StepAsync(CancellationToken ct)
    {
        Work[] work;
        lock (_gate) work = [.. _active.Values.OrderBy(w => w.Exit.DecidedAtNs)];
        foreach (var w in work)
        {
            if (ct.IsCancellationRequested) return;
            try
            {
                await StepAsync(w, ct).ConfigureAwait(false);
            }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException or JsonException or FormatException) && !ct.IsCancellationRequested)
            {
                // the broker is unreachable or answered nonsense: the request may have gone through
                w.MayExistAtBroker = true;
                w.NextTryAt = Now() + Backoff(1);
                alerts.Raise(AlertPublisher.Kinds.OrderFailed, $"exit '{w.Exit.Id}': trading API unreachable ({e.Message}); retrying", "unreachable|" + w.Exit.Id,
                    [new("exit_id", w.Exit.Id), new("position_id", w.Exit.PositionId)]);
            }
            if (w.Record.IsDone)
            {
                lock (_gate) _active.Remove(w.Exit.Id);
            }
        }
    }

    private async Task StepAsync(Work w, CancellationToken ct)
    {
        long now = Now();
        if (w.Record.Status == ExitOrderStatus.Pending)
        {
            if (now < w.NextTryAt) return;
            if (w.MayExistAtBroker)
            {
                var existing = await client.GetOrderByClientOrderIdAsync(w.Record.ClientOrderId, ct).ConfigureAwait(false);
                w.MayExistAtBroker = false;
                if (existing is not null)
                {
                    Submitted(w, existing, now);
                    // it ended while nobody listened (trade_updates does not replay): take its end from the broker now
                    if (Terminal(existing.Status)) lock (_gate) w.Latest = existing;
                    return;
                }
            }
            journal.Orders.SaveExitOrder(w.Record, now); // before the submit: a crash after it finds the client_order_id
            BrokerOrder order;
            try
            {
                order = await client.SubmitOrderAsync(Request(w), ct).ConfigureAwait(false);
            }
            catch (AlpacaApiException e) when (e.Status == 422 && e.ApiMessage.Contains("unique", StringComparison.OrdinalIgnoreCase))
            {
                w.MayExistAtBroker = true; // sent before (a restart between submit and journal): look it up
                return;
            }
            catch (AlpacaApiException e) when (e.Status is >= 400 and < 500)
            {
                Fail(w, $"refused ({e.Status} {e.Code}: {e.ApiMessage})", now);
                return;
            }
            catch (AlpacaApiException e)
            {
                w.MayExistAtBroker = true;
                w.NextTryAt = now + Backoff(1);
                LogTransient(log, w.Exit.Id, e.Message);
                return;
            }
            Submitted(w, order, now);
            LogSubmitted(log, w.Exit.Id, order.Id, order.OrderClass, order.Qty, Describe(w.Price));
            return;
        }

        // submitted: the fill normally arrives on trade_updates; the broker is asked when it is late
        BrokerOrder? latest;
        lock (_gate) latest = w.Latest;
        bool late = TimeSpan.FromTicks((now - w.SubmittedAt) / 100) >= options.OrderTimeout;
        if (latest is null || (!Terminal(latest.Status) && late))
        {
            if (!late) return;
            latest = await client.GetOrderAsync(w.Record.OrderId!, ct).ConfigureAwait(false);
        }
        if (latest.Status == "filled")
        {
            Filled(w, latest, now);
            return;
        }
        if (Terminal(latest.Status))
        {
            w.UnitsFilledBefore += (long)latest.FilledQty;
            Fail(w, $"order {latest.Id} {latest.Status}", now);
            return;
        }
        if (!late) return;
        try
        {
            await client.CancelOrderAsync(latest.Id, ct).ConfigureAwait(false);
        }
        catch (AlpacaApiException e) when (e.Status is 404 or 422)
        {
            // filled or ended meanwhile: the next look decides
        }
        latest = await client.GetOrderAsync(latest.Id, ct).ConfigureAwait(false);
        if (latest.Status == "filled")
        {
            Filled(w, latest, now);
            return;
        }
        w.UnitsFilledBefore += (long)latest.FilledQty;
        Fail(w, $"order {latest.Id} not filled within {options.OrderTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (filled {latest.FilledQty.ToString(CultureInfo.InvariantCulture)} of {latest.Qty.ToString(CultureInfo.InvariantCulture)}): canceled", now);
    }

    private void Submitted(Work w, BrokerOrder order, long now)
    {
        w.Record = w.Record with { OrderId = order.Id, Status = ExitOrderStatus.Submitted, LastError = null };
        w.SubmittedAt = now;
        // the reply's status is not used: the fill is taken from trade_updates (or, when late, from the broker), so its fills are journaled once
        journal.Orders.SaveExitOrder(w.Record, now);
    }

    private void Filled(Work w, BrokerOrder order, long now)
    {
        // the fills normally came on trade_updates; missed (a disconnect): the order's fills, same ids
        if (!journal.Fills.HasFillWithPrefix(BrokerFills.OrderPrefix(order.Id)))
        {
            var update = new TradeUpdate("fill", order, now, order.FilledAvgPrice, order.FilledQty, null, new Dictionary<string, decimal>());
            var fills = BrokerFills.FromFilledOrder(order, now);
            if (fills.Count > 0) intake.Accept(fills, w.Exit.PositionId, update, w.Exit.Id);
        }
        w.Record = w.Record with { OrderId = order.Id, Status = ExitOrderStatus.Filled, LastError = null };
        journal.Orders.SaveExitOrder(w.Record, now);
        Interlocked.Increment(ref _filled);
        LogFilled(log, w.Exit.Id, order.Id, order.FilledQty, order.FilledAvgPrice ?? 0);
        bus.TryPublish(ReportSubject, Report(w, order, now));
    }

    private void Fail(Work w, string reason, long now)
    {
        int attempt = w.Record.Attempts;
        if (attempt > options.OrderRetries)
        {
            w.Record = w.Record with { Status = ExitOrderStatus.Failed, LastError = reason };
            journal.Orders.SaveExitOrder(w.Record, now);
            Interlocked.Increment(ref _failed);
            alerts.Raise(AlertPublisher.Kinds.OrderFailed,
                $"exit '{w.Exit.Id}': GAVE UP after {attempt} attempts ({reason}); position '{w.Exit.PositionId}' is flagged: its closing order was not executed",
                "gave_up|" + w.Exit.Id, [new("exit_id", w.Exit.Id), new("position_id", w.Exit.PositionId), new("attempts", attempt.ToString(CultureInfo.InvariantCulture)), new("final", "true")]);
            return;
        }
        var delay = Backoff(attempt);
        var next = PriceOf(w, attempt + 1);
        alerts.Raise(AlertPublisher.Kinds.OrderFailed,
            $"exit '{w.Exit.Id}' attempt {attempt}: {reason}; retry {attempt} of {options.OrderRetries} in {TimeSpan.FromTicks(delay / 100).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s{(next.LimitPrice is null ? "" : ", " + Describe(next))}",
            w.Exit.Id + "#" + attempt.ToString(CultureInfo.InvariantCulture), [new("exit_id", w.Exit.Id), new("position_id", w.Exit.PositionId), new("attempts", attempt.ToString(CultureInfo.InvariantCulture))]);
        w.Record = w.Record with { Status = ExitOrderStatus.Pending, Attempts = attempt + 1, ClientOrderId = BrokerFills.ClientOrderId(w.Exit.Id, attempt + 1), OrderId = null, LastError = reason };
        lock (_gate) w.Latest = null;
        w.NextTryAt = now + delay;
        w.MayExistAtBroker = false;
        journal.Orders.SaveExitOrder(w.Record, now);
    }

    /// <summary>The order for what is still to close (all of it, unless an earlier attempt filled part), priced for this attempt.</summary>
    private OrderRequest Request(Work w)
    {
        w.Price = PriceOf(w);
        var limit = w.Price.LimitPrice; // per unit: the same for what remains
        var full = ExitOrders.Build(w.Record.ClientOrderId, w.Legs, limit);
        if (w.UnitsFilledBefore <= 0) return full;
        long remaining = full.Qty - w.UnitsFilledBefore;
        if (remaining <= 0) remaining = full.Qty; // should not happen: the order would have been filled
        return ExitOrders.Build(w.Record.ClientOrderId, [.. w.Legs.Select(l => (l.Symbol, l.Qty / full.Qty * remaining))], limit);
    }

    /// <summary>Market, or the marketable limit of attempt <paramref name="attempt"/> (default: the record's current one): the allowance widens per retry.</summary>
    private ExitOrderPrice PriceOf(Work w, int? attempt = null)
    {
        if (options.OrderType != ExitOrderType.Limit) return ExitOrderPrice.AtMarket;
        int n = Math.Max(1, attempt ?? w.Record.Attempts);
        // the last attempt of a limit exit goes at market: a stop must not stay open because no limit filled
        if (options.LimitFinalMarket && n > options.OrderRetries && n > 1) return ExitOrderPrice.Market($"attempt {n} is the last: Alpaca:LimitFinalMarket");
        return ExitLimitPricing.Price(w.PricedLegs, options.LimitSlippage, options.LimitSlippageMax, n);
    }

    private static string Describe(ExitOrderPrice p) => p.LimitPrice is { } limit
        ? string.Create(CultureInfo.InvariantCulture, $"limit {limit:0.00##} (mark {p.NetMark:0.00##}, allowance {p.Allowance:0.00##})")
        : p.MarketReason is { } why ? $"market ({why})" : "market";

    /// <summary>The exit event's closing legs (formats.md: <c>legs[].symbol</c>, <c>legs[].qty</c> + buy / − sell).</summary>
    internal static IReadOnlyList<(string Symbol, long Qty)> ExitLegs(byte[] payload) => [.. ExitLegsWithMarks(payload).Select(l => (l.Symbol, (long)l.Qty))];

    /// <summary>
    /// The closing legs with their <c>legs[].mark</c>: NaN when the event has none (the engine writes NaN as null),
    /// or one that is not a usable price (not a number, negative).
    /// </summary>
    internal static IReadOnlyList<ExitLeg> ExitLegsWithMarks(byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var legs = new List<ExitLeg>();
        foreach (var leg in doc.RootElement.GetProperty("legs").EnumerateArray())
        {
            var symbol = leg.GetProperty("symbol").GetString() ?? throw new FormatException("exit leg without a symbol");
            double qty = leg.GetProperty("qty").GetDouble();
            if (qty != Math.Floor(qty)) throw new FormatException($"exit leg {symbol}: qty {qty.ToString(CultureInfo.InvariantCulture)} is not whole");
            if (Math.Abs(qty) > int.MaxValue) throw new FormatException($"exit leg {symbol}: qty {qty.ToString(CultureInfo.InvariantCulture)} is out of range");
            double mark = leg.TryGetProperty("mark", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetDouble(out var d) && d >= 0 ? d : double.NaN;
            legs.Add(new ExitLeg { Symbol = symbol, Qty = (int)qty, Mark = mark });
        }
        return legs;
    }

    private byte[] Report(Work w, BrokerOrder order, long now) => ServiceJson.Write(j =>
    {
        j.WriteString("exit_id"u8, w.Exit.Id);
        j.WriteString("position_id"u8, w.Exit.PositionId);
        j.WriteString("order_id"u8, order.Id);
        j.WriteString("client_order_id"u8, order.ClientOrderId);
        j.WriteString("order_class"u8, order.OrderClass);
        j.WriteString("status"u8, order.Status);
        j.WriteNumber("qty"u8, order.FilledQty);
        if (order.FilledAvgPrice is { } p) j.WriteNumber("filled_avg_price"u8, p);
        j.WriteNumber("attempts"u8, w.Record.Attempts);
        // how the filling attempt was priced: the broker's order says what was sent (also after a restart); the mark and why-market from this run
        j.WriteString("order_type"u8, order.Type is { Length: > 0 } type ? type : order.LimitPrice is null ? "market" : "limit");
        if (order.LimitPrice is { } limit) j.WriteNumber("limit_price"u8, limit);
        if (w.Price.NetMark is { } mark && order.LimitPrice is not null) j.WriteNumber("exit_mark"u8, mark);
        if (w.Price.MarketReason is { } why) j.WriteString("market_reason"u8, why);
        j.WriteStartArray("legs"u8);
        if (order.Legs.Count == 0)
        {
            j.WriteStartObject();
            j.WriteString("symbol"u8, order.Symbol);
            j.WriteNumber("qty"u8, order.Side == "sell" ? -order.FilledQty : order.FilledQty);
            if (order.FilledAvgPrice is { } lp) j.WriteNumber("price"u8, lp);
            j.WriteEndObject();
        }
        foreach (var leg in order.Legs)
        {
            j.WriteStartObject();
            j.WriteString("symbol"u8, leg.Symbol);
            decimal q = order.FilledQty * leg.RatioQty;
            j.WriteNumber("qty"u8, leg.Side == "sell" ? -q : q);
            if (leg.FilledAvgPrice is { } lp) j.WriteNumber("price"u8, lp);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        ServiceJson.WriteTime(j, "time", now);
    });

    private static bool Terminal(string status) => status is "filled" or "canceled" or "expired" or "rejected" or "done_for_day" or "stopped" or "suspended";

    /// <summary>ns to wait before attempt <paramref name="attempt"/> + 1: backoff × 2^(attempt−1), at most 30 s, no jitter.</summary>
    private long Backoff(int attempt) => new Backoff(options.RetryBackoff, MaxRetryDelay).Ceiling(attempt - 1).Ticks * 100;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private long Now() => NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "executor: exit {ExitId} → order {OrderId} ({OrderClass}, qty {Qty}, {Pricing})")]
    private static partial void LogSubmitted(ILogger logger, string exitId, string orderId, string orderClass, decimal qty, string pricing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "executor: exit {ExitId}: {Reason}: sent as a MARKET order, not a limit")]
    private static partial void LogMarketFallback(ILogger logger, string exitId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "executor: exit {ExitId} filled by order {OrderId}: {Qty} @ {Price}")]
    private static partial void LogFilled(ILogger logger, string exitId, string orderId, decimal qty, decimal price);

    [LoggerMessage(Level = LogLevel.Warning, Message = "executor: exit {ExitId}: broker error, will retry: {Reason}")]
    private static partial void LogTransient(ILogger logger, string exitId, string reason);
}
