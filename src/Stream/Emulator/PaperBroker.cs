using System.Globalization;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;

namespace Streamer.Stream.Emulator;

/// <summary>
/// The emulator's paper broker: accepts orders, fills them against the emulator's own quotes
/// (buy at the ask, sell at the bid), keeps positions, and reports every step as a trade
/// update. Market orders fill at once when a quote is known, otherwise on the next quote;
/// limit orders rest until marketable (mleg: net debit ≤ limit, credits negative). With
/// <see cref="PaperBrokerOptions.PartialFills"/> an execution takes at most the quote's
/// displayed size (each quote's size is used up by the orders it fills, in submission order;
/// mleg in whole strategy units). Time comes from <see cref="AdvanceTo"/>: day orders expire
/// at their session's close, held options settle at their expiration (ITM: exercised or
/// assigned into the underlying at the strike; OTM: gone); the clock drives both, not quotes.
/// Deterministic for a given sequence of quotes, times and orders.
/// </summary>
public sealed class PaperBroker
{
    private sealed class Book
    {
        public decimal Bid, Ask;
        public long BidLeft, AskLeft; // displayed size not yet taken; long.MaxValue: unlimited
    }

    private readonly Func<long> _nowNs;
    private readonly PaperBrokerOptions _options;
    private readonly Lock _gate = new();
    private readonly Lock _publishGate = new();
    private readonly List<PaperTradeUpdate> _pending = []; // made under _gate, raised by Drain
    private int _pendingRead;
    private readonly Dictionary<string, Book> _quotes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, PaperPosition> _positions = new(StringComparer.Ordinal);
    private readonly List<PaperOrder> _orders = [];
    private readonly List<PaperOrder> _working = []; // open orders, in submission order
    private readonly Dictionary<string, PaperOrder> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PaperOrder> _byClientId = new(StringComparer.Ordinal);
    private readonly List<PaperActivity> _activities = [];
    private readonly List<PaperOrder> _rejectLater = []; // accepted orders on RejectAsyncSymbols
    private long _clockNs = long.MinValue; // latest time given to AdvanceTo
    private long _nextDueNs = long.MaxValue; // earliest order expiry or option expiration
    private long _sequence;
    private readonly List<ForcedAssignment> _assignments; // --assign, not yet due, earliest first
    private readonly HashSet<string> _pinRiskDone = new(StringComparer.Ordinal); // contracts the risk desk already closed
    private decimal _cash = 100_000m;

    public PaperBroker(Func<long> nowNs) : this(nowNs, PaperBrokerOptions.Default)
    {
    }

    public PaperBroker(Func<long> nowNs, PaperBrokerOptions options)
    {
        _nowNs = nowNs;
        _options = options;
        _assignments = [.. options.Assignments.OrderBy(a => a.AtNs)];
        if (_assignments.Count > 0) _nextDueNs = _assignments[0].AtNs;
    }

    /// <summary>Raised outside the broker's lock, in order.</summary>
    public event Action<PaperTradeUpdate>? Update;

    public PaperBrokerOptions Options => _options;

    private long Now => Math.Max(_nowNs(), _clockNs);

    /// <summary>The broker's market time: what stamps orders, and what <c>/v2/clock</c> shows.</summary>
    public long NowNs => Now;

    /// <summary>Paper cash: 100000 at the start, moved by every fill, exercise and assignment (× 100 for options).</summary>
    public decimal Cash
    {
        get { lock (_gate) return _cash; }
    }

    /// <summary>A quote without sizes: unlimited size (whole fills even with partial fills on).</summary>
    public void OnQuote(string symbol, double bid, double ask) => OnQuote(symbol, bid, ask, long.MaxValue, long.MaxValue);

    /// <summary>A new quote: fills what it makes marketable, up to its displayed sizes when partial fills are on.</summary>
    public void OnQuote(string symbol, double bid, double ask, long bidSize, long askSize)
    {
        if (!(bid >= 0 && ask > 0 && bid <= ask)) return; // insane quotes never fill anything
        bool raise;
        lock (_gate)
        {
            RejectLaterLocked();
            if (!_quotes.TryGetValue(symbol, out var book)) _quotes[symbol] = book = new Book();
            book.Bid = Round(bid);
            book.Ask = Round(ask);
            book.BidLeft = _options.PartialFills ? Math.Max(0, bidSize) : long.MaxValue;
            book.AskLeft = _options.PartialFills ? Math.Max(0, askSize) : long.MaxValue;
            if (AnyWorkingOn(symbol)) // else the usual case on a busy tape: no allocation
            {
                foreach (var o in _working.ToArray()) // TryFill removes filled orders
                    if (o.IsOpen && o.Touches(symbol)) TryFill(o, _pending);
            }
            raise = _pendingRead < _pending.Count;
        }
        if (raise) Drain();
    }

    /// <summary>
    /// Market time moves on to <paramref name="timeNs"/> (never back): day orders whose session
    /// closed expire, held options whose expiration passed settle. Cheap when nothing is due.
    /// </summary>
    public void AdvanceTo(long timeNs)
    {
        bool raise;
        lock (_gate)
        {
            RejectLaterLocked();
            if (timeNs > _clockNs)
            {
                _clockNs = timeNs;
                if (timeNs >= _nextDueNs) SettleDueLocked(timeNs);
            }
            raise = _pendingRead < _pending.Count;
        }
        if (raise) Drain();
    }

    private void SettleDueLocked(long timeNs)
    {
        // in the order a day runs: forced assignments, the 15:30 liquidation, the close (orders expire), 16:00 settlement
        while (_assignments.Count > 0 && _assignments[0].AtNs <= timeNs)
        {
            var a = _assignments[0];
            _assignments.RemoveAt(0);
            if (_positions.TryGetValue(a.Symbol, out var held)) SettleIntoStock(held, a.AtNs, forced: true);
        }
        foreach (var p in _positions.Values.ToArray())
            if (PinRiskAt(p) <= timeNs) LiquidatePinRisk(p);
        foreach (var o in _working.ToArray())
            if (o.ExpiresAtNs <= timeNs) Expire(o, _pending);
        foreach (var p in _positions.Values.ToArray())
            if (p.ExpiresAtNs <= timeNs) SettleExpiration(p);
        _nextDueNs = _assignments.Count > 0 ? _assignments[0].AtNs : long.MaxValue;
        foreach (var o in _working) _nextDueNs = Math.Min(_nextDueNs, o.ExpiresAtNs);
        foreach (var p in _positions.Values) _nextDueNs = Math.Min(_nextDueNs, Math.Min(p.ExpiresAtNs, PinRiskAt(p)));
    }

    /// <summary>When the risk desk closes this contract: 15:30 New York on its expiration day, for shorts not yet closed by it (long.MaxValue: never).</summary>
    private long PinRiskAt(PaperPosition p) =>
        _options.PinRiskLiquidation && p.IsOption && p.Qty < 0 && p.ExpiresAtNs != long.MaxValue && !_pinRiskDone.Contains(p.Symbol)
            ? p.ExpiresAtNs - PinRiskLead
            : long.MaxValue;

    /// <summary>Alpaca's pin-risk process starts 30 minutes before the 16:00 settlement (alpaca-py issue #774: 15:30 ET).</summary>
    private static readonly long PinRiskLead = 30 * Streamer.Rules.Time.NanoTime.PerMinute;

    /// <summary>
    /// The risk desk's own order: a simple market <c>buy_to_close</c> for what is short and not already held
    /// by closing orders (alpaca-py issue #774 shows one SIMPLE order per short leg, whatever combo it came from).
    /// It is an order like any other here: listed, filled at the ask, on trade_updates (unsure at Alpaca).
    /// </summary>
    private void LiquidatePinRisk(PaperPosition p)
    {
        _pinRiskDone.Add(p.Symbol);
        long qty = -p.Qty - HeldForOrders(p.Symbol, "buy_to_close");
        if (qty <= 0) return;
        var request = new PaperOrderRequest.Parsed("simple", "market", "day", qty, null, "liquidation-" + Guid.NewGuid().ToString("N"),
            [new PaperOrderRequest.Leg(p.Symbol, "buy", "buy_to_close", 1)]);
        try
        {
            SubmitLocked(request);
        }
        catch (TradingApiException)
        {
            // not listed or on a reject list: the risk desk's order is simply not placed
        }
    }

    public (decimal Bid, decimal Ask)? QuoteOf(string symbol)
    {
        lock (_gate) return _quotes.TryGetValue(symbol, out var q) ? (q.Bid, q.Ask) : null;
    }

    /// <summary>Sets a position directly (seeding a scenario).</summary>
    public void SetPosition(string symbol, long qty, decimal avgEntryPrice)
    {
        lock (_gate)
        {
            if (qty == 0) { _positions.Remove(symbol); return; }
            _positions[symbol] = NewPosition(symbol, qty, avgEntryPrice);
        }
    }

    public IReadOnlyList<PaperPosition> Positions()
    {
        lock (_gate) return [.. _positions.Values.Select(Copy)];
    }

    public PaperPosition? Position(string symbol)
    {
        lock (_gate) return _positions.TryGetValue(symbol, out var p) ? Copy(p) : null;
    }

    /// <summary>Every order, in submission order.</summary>
    public IReadOnlyList<PaperOrder> Orders()
    {
        lock (_gate) return [.. _orders];
    }

    public PaperOrder? Order(string id)
    {
        lock (_gate) return _byId.GetValueOrDefault(id);
    }

    public PaperOrder? OrderByClientId(string clientOrderId)
    {
        lock (_gate) return _byClientId.GetValueOrDefault(clientOrderId);
    }

    /// <summary>Fills, exercises, assignments and worthless expirations so far, in time order.</summary>
    public IReadOnlyList<PaperActivity> Activities()
    {
        lock (_gate) return [.. _activities];
    }

    public PaperOrder Submit(PaperOrderRequest.Parsed request)
    {
        PaperOrder order;
        try
        {
            lock (_gate)
            {
                RejectLaterLocked(); // an earlier order's rejection comes before anything later
                order = SubmitLocked(request);
            }
        }
        finally
        {
            Drain(); // also what an exception left queued
        }
        return order;
    }

    private PaperOrder SubmitLocked(PaperOrderRequest.Parsed request)
    {
                PaperOrder order;
                foreach (var leg in request.Legs)
                    if (!IsListed(leg.Symbol)) throw TradingApiException.Invalid($"asset not found: {leg.Symbol}");
                if (_byClientId.ContainsKey(request.ClientOrderId))
                    throw TradingApiException.Invalid("client_order_id must be unique");
                foreach (var leg in request.Legs)
                    if (_options.RejectSymbols.Contains(leg.Symbol))
                        throw new TradingApiException(403, 40310000, $"order rejected: {leg.Symbol} is on the emulator's reject list (--reject-symbols)");
                foreach (var leg in request.Legs) CheckClosable(leg, request.Qty * leg.RatioQty);
                CheckBuyingPower(request);
                long now = Now;
                order = new PaperOrder
                {
                    Id = Guid.NewGuid().ToString(),
                    ClientOrderId = request.ClientOrderId,
                    OrderClass = request.OrderClass,
                    Type = request.Type,
                    TimeInForce = request.TimeInForce,
                    Qty = request.Qty,
                    LimitPrice = request.LimitPrice,
                    CreatedAtNs = now,
                    UpdatedAtNs = now,
                    Sequence = ++_sequence,
                    ExpiresAtNs = request.TimeInForce == "day" ? _options.Calendar.NextSessionCloseAfter(now) : long.MaxValue,
                    Legs = [.. request.Legs.Select(l => new PaperLeg
                    {
                        Id = Guid.NewGuid().ToString(),
                        Symbol = l.Symbol,
                        Side = l.Side,
                        PositionIntent = l.PositionIntent,
                        ReportedIntent = l.PositionIntent.Length > 0 ? l.PositionIntent : InferIntent(l.Symbol, l.Side),
                        ClientOrderId = Guid.NewGuid().ToString(),
                        RatioQty = l.RatioQty,
                        IsOption = OccSymbol.LooksLikeOption(l.Symbol),
                    })],
                };
                _orders.Add(order);
                _byId[order.Id] = order;
                _byClientId[order.ClientOrderId] = order;
                _pending.Add(Make("new", order, now, null));
                if (order.Legs.Any(l => _options.RejectAsyncSymbols.Contains(l.Symbol)))
                {
                    _rejectLater.Add(order); // the response says "new"; the rejection follows on the stream
                }
                else
                {
                    _working.Add(order);
                    _nextDueNs = Math.Min(_nextDueNs, order.ExpiresAtNs);
                    TryFill(order, _pending);
                }
                return order;
    }

    /// <summary>
    /// Sends the <c>rejected</c> updates of orders accepted on <see cref="PaperBrokerOptions.RejectAsyncSymbols"/>
    /// (the endpoint calls it once the order's response is written; the next quote or clock step does too).
    /// </summary>
    public void FlushRejections()
    {
        lock (_gate) RejectLaterLocked();
        Drain();
    }

    private void RejectLaterLocked()
    {
        if (_rejectLater.Count == 0) return;
        long now = Now;
        foreach (var o in _rejectLater)
        {
            o.Status = "rejected";
            o.FailedAtNs = now;
            o.UpdatedAtNs = now;
            _pending.Add(Make("rejected", o, now, null));
        }
        _rejectLater.Clear();
    }

    public PaperOrder Cancel(string id)
    {
        PaperOrder order;
        try
        {
            lock (_gate)
            {
                RejectLaterLocked();
                order = _byId.GetValueOrDefault(id) ?? throw new TradingApiException(404, 40410000, $"order not found: {id}");
                if (!order.IsOpen) throw new TradingApiException(422, 42210000, $"order is not cancelable: {id} is {order.Status}");
                CancelLocked(order, _pending);
            }
        }
        finally
        {
            Drain(); // also what an exception left queued
        }
        return order;
    }

    /// <summary><c>DELETE /v2/orders</c>: cancels every open order; returns them.</summary>
    public IReadOnlyList<PaperOrder> CancelAll()
    {
        PaperOrder[] open;
        lock (_gate)
        {
            RejectLaterLocked();
            open = [.. _working];
            foreach (var o in open) CancelLocked(o, _pending);
        }
        Drain();
        return open;
    }

    /// <summary><c>DELETE /v2/positions/{symbol}</c>: a market order closing all, <paramref name="qty"/> or <paramref name="percentage"/> of it.</summary>
    public PaperOrder ClosePosition(string symbol, long? qty, decimal? percentage)
    {
        long have;
        lock (_gate)
        {
            have = _positions.TryGetValue(symbol, out var p) ? p.Qty : 0;
        }
        if (have == 0) throw new TradingApiException(404, 40410000, $"position does not exist: {symbol}");
        long abs = Math.Abs(have);
        long close = qty ?? (percentage is { } pct ? (long)Math.Floor(abs * pct / 100m) : abs);
        if (close <= 0 || close > abs)
            throw new TradingApiException(403, 40310000, $"insufficient qty available for order (requested: {close}, available: {abs}) on {symbol}");
        bool isLong = have > 0;
        return Submit(new PaperOrderRequest.Parsed("simple", "market", "day", close, null, Guid.NewGuid().ToString(),
            [new PaperOrderRequest.Leg(symbol, isLong ? "sell" : "buy", isLong ? "sell_to_close" : "buy_to_close", 1)]));
    }

    /// <summary>
    /// An opening debit beyond what the account can pay is refused, as Alpaca refuses it (403,
    /// 40310000): an option debit against the options buying power (cash), a stock purchase against
    /// 2 × cash (Reg T). The debit is priced at the limit, else at the quote (buys at the ask, sells
    /// at the bid); unquoted, it is not checked. Closing orders and credits are never refused for it,
    /// and buying power is not reserved for open orders (Alpaca does reserve it).
    /// </summary>
    private void CheckBuyingPower(PaperOrderRequest.Parsed request)
    {
        bool anyOption = false, opening = false;
        decimal net = 0;
        foreach (var leg in request.Legs)
        {
            bool option = OccSymbol.LooksLikeOption(leg.Symbol);
            anyOption |= option;
            string intent = leg.PositionIntent.Length > 0 ? leg.PositionIntent : InferIntent(leg.Symbol, leg.Side);
            opening |= intent is "buy_to_open" or "sell_to_open";
            if (request.LimitPrice is null)
            {
                if (!_quotes.TryGetValue(leg.Symbol, out var book)) return;
                net += (leg.Side == "buy" ? book.Ask : -book.Bid) * leg.RatioQty * (option ? 100 : 1);
            }
        }
        if (!opening) return;
        decimal multiplier = anyOption ? 100 : 1;
        decimal debit = request.LimitPrice is { } limit
            ? (request.OrderClass == "mleg" ? limit : request.Legs[0].Side == "buy" ? limit : -limit) * request.Qty * multiplier
            : net * request.Qty;
        if (debit <= 0) return;
        decimal available = anyOption ? Math.Max(0, _cash) : Math.Max(0, 2 * _cash);
        if (debit > available)
            throw new TradingApiException(403, 40310000, string.Create(CultureInfo.InvariantCulture,
                $"insufficient buying power (required: {Math.Round(debit, 2)}, available: {Math.Round(available, 2)})"));
    }

    private string InferIntent(string symbol, string side)
    {
        long have = _positions.TryGetValue(symbol, out var p) ? p.Qty : 0;
        return side == "buy" ? (have < 0 ? "buy_to_close" : "buy_to_open") : (have > 0 ? "sell_to_close" : "sell_to_open");
    }

    private bool AnyWorkingOn(string symbol)
    {
        foreach (var o in _working) if (o.Touches(symbol)) return true;
        return false;
    }

    private bool IsListed(string symbol) =>
        _options.IsListed is not { } listed || listed(symbol) || _quotes.ContainsKey(symbol) || _positions.ContainsKey(symbol);

    /// <summary>Contracts/shares of <paramref name="symbol"/> that open orders with this closing intent still want.</summary>
    private long HeldForOrders(string symbol, string closingIntent)
    {
        long held = 0;
        foreach (var o in _working)
            foreach (var leg in o.Legs)
                if (leg.Symbol == symbol && leg.PositionIntent == closingIntent) held += o.RemainingQty * leg.RatioQty;
        return held;
    }

    private void CheckClosable(PaperOrderRequest.Leg leg, long qty)
    {
        if (leg.PositionIntent is not ("buy_to_close" or "sell_to_close")) return;
        long have = _positions.TryGetValue(leg.Symbol, out var p) ? p.Qty : 0;
        long closable = leg.PositionIntent == "sell_to_close" ? Math.Max(0, have) : Math.Max(0, -have);
        long available = Math.Max(0, closable - HeldForOrders(leg.Symbol, leg.PositionIntent));
        if (qty > available)
            throw new TradingApiException(403, 40310000, $"insufficient qty available for order (requested: {qty}, available: {available}) on {leg.Symbol}");
    }

    private void TryFill(PaperOrder order, List<PaperTradeUpdate> updates)
    {
        int n = order.Legs.Count;
        Span<decimal> prices = stackalloc decimal[n];
        decimal net = 0;
        long units = order.RemainingQty;
        for (int i = 0; i < n; i++)
        {
            var leg = order.Legs[i];
            if (_options.NoFillSymbols.Contains(leg.Symbol)) return;
            if (!_quotes.TryGetValue(leg.Symbol, out var book)) return; // wait for a quote
            prices[i] = leg.IsBuy ? book.Ask : book.Bid;
            if (prices[i] <= 0) return; // no bid: nothing to sell into
            net += (leg.IsBuy ? 1 : -1) * leg.RatioQty * prices[i];
            // whole strategy units only: the thinnest leg decides
            units = Math.Min(units, (leg.IsBuy ? book.AskLeft : book.BidLeft) / leg.RatioQty);
        }
        if (order.Type == "limit" && order.LimitPrice is { } limit)
        {
            bool marketable = order.OrderClass == "mleg"
                ? net <= limit
                : order.Legs[0].IsBuy ? prices[0] <= limit : prices[0] >= limit;
            if (!marketable) return;
        }
        if (units <= 0) return; // the displayed size is taken: wait for the next quote

        long now = Now;
        long before = order.FilledQty, after = before + units;
        var legFills = new PaperLegExecution[n];
        for (int i = 0; i < n; i++)
        {
            var leg = order.Legs[i];
            var book = _quotes[leg.Symbol];
            long legQty = units * leg.RatioQty;
            if (leg.IsBuy) { if (book.AskLeft != long.MaxValue) book.AskLeft -= legQty; }
            else if (book.BidLeft != long.MaxValue) book.BidLeft -= legQty;
            leg.FilledAvgPrice = (leg.FilledAvgPrice * before + prices[i] * units) / after;
            ApplyFill(leg.Symbol, (leg.IsBuy ? 1 : -1) * legQty, prices[i]);
            legFills[i] = new PaperLegExecution(leg, prices[i], legQty);
        }
        decimal price = order.OrderClass == "mleg" ? net : prices[0];
        order.FilledAvgPrice = ((order.FilledAvgPrice ?? 0) * before + price * units) / after;
        order.FilledQty = after;
        order.UpdatedAtNs = now;
        bool done = after == order.Qty;
        if (done)
        {
            order.Status = "filled";
            order.FilledAtNs = now;
            _working.Remove(order);
        }
        else
        {
            order.Status = "partially_filled";
        }
        updates.Add(Make(done ? "fill" : "partial_fill", order, now, new PaperExecution(price, units, legFills)));
        foreach (var f in legFills)
        {
            bool mleg = order.OrderClass == "mleg";
            long cum = after * f.Leg.RatioQty, leaves = order.RemainingQty * f.Leg.RatioQty;
            _activities.Add(new PaperActivity(ActivityId(now), "FILL", now, f.Leg.Symbol, f.Qty, f.Price, (f.Leg.IsBuy ? -1 : 1) * f.Qty * f.Price * (f.Leg.IsOption ? 100 : 1), "")
            {
                Fill = new PaperFillDetail(done ? "fill" : "partial_fill", f.Leg.Side, mleg ? f.Leg.Id : order.Id, cum, leaves, order.Status),
            });
        }
    }

    private void CancelLocked(PaperOrder order, List<PaperTradeUpdate> updates)
    {
        long now = Now;
        order.Status = "canceled";
        _working.Remove(order);
        _rejectLater.Remove(order);
        order.CanceledAtNs = now;
        order.UpdatedAtNs = now;
        updates.Add(Make("canceled", order, now, null));
    }

    private void Expire(PaperOrder order, List<PaperTradeUpdate> updates)
    {
        long at = order.ExpiresAtNs;
        order.Status = "expired";
        _working.Remove(order);
        order.ExpiredAtNs = at;
        order.UpdatedAtNs = at;
        updates.Add(Make("expired", order, at, null));
    }

    /// <summary>
    /// A held contract reached its expiration: ITM by ≥ $0.01 against the underlying's quote mid
    /// (OCC's automatic exercise threshold) → 100 × qty shares at the strike (long: exercised,
    /// short: assigned); otherwise, or with no quote for the underlying, it expires worthless.
    /// </summary>
    private void SettleExpiration(PaperPosition p)
    {
        var occ = OccSymbol.Parse(p.Symbol);
        decimal strike = occ.StrikeThousandths / 1000m;
        decimal intrinsic = 0;
        if (_quotes.TryGetValue(occ.Root, out var underlying))
        {
            decimal spot = (underlying.Bid + underlying.Ask) / 2;
            intrinsic = occ.Right == OptionRight.Call ? spot - strike : strike - spot;
        }
        long at = p.ExpiresAtNs;
        if (intrinsic >= 0.01m) SettleIntoStock(p, at, forced: false);
        else
        {
            _positions.Remove(p.Symbol);
            _activities.Add(new PaperActivity(ActivityId(at), "OPEXP", at, p.Symbol, p.Qty, 0, 0,
                string.Create(CultureInfo.InvariantCulture, $"{p.Symbol} expired worthless ({p.Qty} held)")));
        }
    }

    /// <summary>
    /// The contract becomes 100 shares each at the strike (calls: long buys, short sells; puts: long sells,
    /// short buys): a short assigned (<c>OPASN</c>), a long exercised (<c>OPEXC</c>). <paramref name="forced"/>:
    /// an early assignment (<c>--assign</c>), whatever the moneyness.
    /// </summary>
    private void SettleIntoStock(PaperPosition p, long at, bool forced)
    {
        var occ = OccSymbol.Parse(p.Symbol);
        decimal strike = occ.StrikeThousandths / 1000m;
        _positions.Remove(p.Symbol);
        long shares = (occ.Right == OptionRight.Call ? 1 : -1) * 100 * p.Qty; // + bought, − sold at the strike
        ApplyFill(occ.Root, shares, strike);
        string type = p.Qty > 0 ? "OPEXC" : "OPASN";
        _activities.Add(new PaperActivity(ActivityId(at), type, at, p.Symbol, p.Qty, strike, -shares * strike,
            string.Create(CultureInfo.InvariantCulture, $"{(forced ? "early " : "")}{(p.Qty > 0 ? "exercised" : "assigned")} {Math.Abs(p.Qty)} {p.Symbol}: {shares:+0;-0} {occ.Root} at {strike}")));
    }

    private string ActivityId(long atNs) =>
        string.Create(CultureInfo.InvariantCulture, $"{NanoTimeId(atNs)}::{_activities.Count + 1:D6}");

    // Alpaca's activity ids are "yyyyMMddHHmmssfff::uuid"; a counter keeps them deterministic here
    private static string NanoTimeId(long ns) =>
        DateTime.UnixEpoch.AddTicks(ns / 100).ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);

    private void ApplyFill(string symbol, long delta, decimal price)
    {
        _cash -= delta * price * (OccSymbol.LooksLikeOption(symbol) ? 100 : 1);
        if (!_positions.TryGetValue(symbol, out var p))
        {
            _positions[symbol] = NewPosition(symbol, delta, price);
            return;
        }
        long before = p.Qty, after = before + delta;
        if (after == 0) { _positions.Remove(symbol); return; }
        if (Math.Sign(before) == Math.Sign(delta)) p.AvgEntryPrice = (p.AvgEntryPrice * Math.Abs(before) + price * Math.Abs(delta)) / Math.Abs(after);
        else if (Math.Sign(after) != Math.Sign(before)) p.AvgEntryPrice = price; // crossed through zero
        p.Qty = after;
    }

    private PaperPosition NewPosition(string symbol, long qty, decimal avgEntryPrice)
    {
        bool isOption = OccSymbol.LooksLikeOption(symbol);
        long expires = isOption && OccSymbol.TryParse(symbol, out var occ, out _) ? MarketCalendar.ExpirationUtc(occ.Expiration) : long.MaxValue;
        _nextDueNs = Math.Min(_nextDueNs, expires == long.MaxValue ? expires : expires - PinRiskLead); // the 15:30 liquidation comes first
        return new PaperPosition { Symbol = symbol, IsOption = isOption, Qty = qty, AvgEntryPrice = avgEntryPrice, ExpiresAtNs = expires };
    }

    private PaperTradeUpdate Make(string eventName, PaperOrder order, long now, PaperExecution? execution) =>
        new(eventName, order.Id, order.Status, TradingJson.TradeUpdate(eventName, order, now, execution, PositionQtys(order)));

    private Dictionary<string, long> PositionQtys(PaperOrder order)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var leg in order.Legs) d[leg.Symbol] = _positions.TryGetValue(leg.Symbol, out var p) ? p.Qty : 0;
        return d;
    }

    // updates are queued under the gate and raised under a second lock, so every listener sees
    // them in the order they happened even when the player and a request thread race
    private void Drain()
    {
        lock (_publishGate)
        {
            while (true)
            {
                PaperTradeUpdate u;
                lock (_gate)
                {
                    if (_pendingRead == _pending.Count)
                    {
                        _pending.Clear();
                        _pendingRead = 0;
                        return;
                    }
                    u = _pending[_pendingRead++];
                }
                Update?.Invoke(u);
            }
        }
    }

    private PaperPosition Copy(PaperPosition p) => new()
    {
        Symbol = p.Symbol,
        IsOption = p.IsOption,
        Qty = p.Qty,
        AvgEntryPrice = p.AvgEntryPrice,
        ExpiresAtNs = p.ExpiresAtNs,
        QtyAvailable = p.Qty > 0 ? p.Qty - HeldForOrders(p.Symbol, "sell_to_close") : p.Qty + HeldForOrders(p.Symbol, "buy_to_close"),
    };

    private static decimal Round(double price) => Math.Round((decimal)price, 4);
}
