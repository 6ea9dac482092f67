using Streamer.Rules.Instruments;

namespace Streamer.Stream.Emulator;

/// <summary>A paper position: signed quantity (shares or contracts) and average entry price.</summary>
internal sealed class PaperPosition
{
    public required string Symbol { get; init; }
    public required bool IsOption { get; init; }
    public long Qty { get; set; }
    public decimal AvgEntryPrice { get; set; }
    public int Multiplier => IsOption ? 100 : 1;
}

/// <summary>One trade_updates event (alpaca.md), serialised when it happened (the order changes later).</summary>
internal sealed record PaperTradeUpdate(string Event, string OrderId, string Status, byte[] Json);

/// <summary>
/// The emulator's paper broker: accepts orders, fills them against the emulator's own quotes
/// (buy at the ask, sell at the bid; whole quantity at once), keeps positions, and reports
/// every step as a trade update. Market orders fill at once when a quote is known, otherwise
/// on the first quote; limit orders when marketable (mleg: net debit ≤ limit, where credits
/// are negative). Day orders never expire here (the emulator has no session end).
/// </summary>
internal sealed class PaperBroker(Func<long> nowNs)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (decimal Bid, decimal Ask)> _quotes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, PaperPosition> _positions = new(StringComparer.Ordinal);
    private readonly List<PaperOrder> _orders = [];
    private readonly List<PaperOrder> _working = []; // open orders waiting for a (marketable) quote
    private readonly Dictionary<string, PaperOrder> _byId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clientIds = new(StringComparer.Ordinal);

    /// <summary>Raised outside the broker's lock, in order.</summary>
    public event Action<PaperTradeUpdate>? Update;

    public void OnQuote(string symbol, double bid, double ask)
    {
        if (!(bid >= 0 && ask > 0 && bid <= ask)) return; // insane quotes never fill anything
        List<PaperTradeUpdate>? updates = null;
        lock (_gate)
        {
            _quotes[symbol] = (Round(bid), Round(ask));
            if (_working.Count == 0) return;
            updates = [];
            foreach (var o in _working.ToArray())
                if (o.Legs.Any(l => l.Symbol == symbol)) TryFill(o, updates);
        }
        Publish(updates);
    }

    public (decimal Bid, decimal Ask)? QuoteOf(string symbol)
    {
        lock (_gate) return _quotes.TryGetValue(symbol, out var q) ? q : null;
    }

    /// <summary>Sets a position directly (seeding a scenario).</summary>
    public void SetPosition(string symbol, long qty, decimal avgEntryPrice)
    {
        lock (_gate)
        {
            if (qty == 0) { _positions.Remove(symbol); return; }
            _positions[symbol] = new PaperPosition { Symbol = symbol, IsOption = OccSymbol.LooksLikeOption(symbol), Qty = qty, AvgEntryPrice = avgEntryPrice };
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

    public IReadOnlyList<PaperOrder> Orders()
    {
        lock (_gate) return [.. _orders];
    }

    public PaperOrder? Order(string id)
    {
        lock (_gate) return _byId.GetValueOrDefault(id);
    }

    public PaperOrder Submit(PaperOrderRequest.Parsed request)
    {
        var updates = new List<PaperTradeUpdate>();
        PaperOrder order;
        lock (_gate)
        {
            if (!_clientIds.Add(request.ClientOrderId))
                throw TradingApiException.Invalid($"client_order_id '{request.ClientOrderId}' must be unique");
            foreach (var leg in request.Legs) CheckClosable(leg, request.Qty * leg.RatioQty);
            long now = nowNs();
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
                Legs = [.. request.Legs.Select(l => new PaperLeg
                {
                    Id = Guid.NewGuid().ToString(),
                    Symbol = l.Symbol,
                    Side = l.Side,
                    PositionIntent = l.PositionIntent,
                    RatioQty = l.RatioQty,
                    IsOption = OccSymbol.LooksLikeOption(l.Symbol),
                })],
            };
            _orders.Add(order);
            _byId[order.Id] = order;
            updates.Add(Make("new", order, now, null, null));
            _working.Add(order);
            TryFill(order, updates);
        }
        Publish(updates);
        return order;
    }

    public PaperOrder Cancel(string id)
    {
        var updates = new List<PaperTradeUpdate>();
        PaperOrder order;
        lock (_gate)
        {
            order = _byId.GetValueOrDefault(id) ?? throw new TradingApiException(404, 40410000, $"order {id} not found");
            if (!order.IsOpen) throw new TradingApiException(422, 42210000, $"order {id} is {order.Status} and cannot be canceled");
            long now = nowNs();
            order.Status = "canceled";
            _working.Remove(order);
            order.CanceledAtNs = now;
            order.UpdatedAtNs = now;
            updates.Add(Make("canceled", order, now, null, null));
        }
        Publish(updates);
        return order;
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
            throw new TradingApiException(403, 40310000, $"insufficient qty available for order (requested: {close}, available: {abs})");
        bool isLong = have > 0;
        return Submit(new PaperOrderRequest.Parsed("simple", "market", "day", close, null, Guid.NewGuid().ToString(),
            [new PaperOrderRequest.Leg(symbol, isLong ? "sell" : "buy", isLong ? "sell_to_close" : "buy_to_close", 1)]));
    }

    private void CheckClosable(PaperOrderRequest.Leg leg, long qty)
    {
        if (leg.PositionIntent is not ("buy_to_close" or "sell_to_close")) return;
        long have = _positions.TryGetValue(leg.Symbol, out var p) ? p.Qty : 0;
        long available = leg.PositionIntent == "sell_to_close" ? Math.Max(0, have) : Math.Max(0, -have);
        if (qty > available)
            throw new TradingApiException(403, 40310000, $"insufficient qty available for order (requested: {qty}, available: {available}) on {leg.Symbol}");
    }

    private void TryFill(PaperOrder order, List<PaperTradeUpdate> updates)
    {
        decimal net = 0;
        var prices = new decimal[order.Legs.Count];
        for (int i = 0; i < order.Legs.Count; i++)
        {
            var leg = order.Legs[i];
            if (!_quotes.TryGetValue(leg.Symbol, out var q)) return; // wait for a quote
            prices[i] = leg.Side == "buy" ? q.Ask : q.Bid;
            net += (leg.Side == "buy" ? 1 : -1) * leg.RatioQty * prices[i];
        }
        if (order.Type == "limit" && order.LimitPrice is { } limit)
        {
            bool marketable = order.OrderClass == "mleg"
                ? net <= limit
                : order.Legs[0].Side == "buy" ? prices[0] <= limit : prices[0] >= limit;
            if (!marketable) return;
        }
        long now = nowNs();
        for (int i = 0; i < order.Legs.Count; i++)
        {
            var leg = order.Legs[i];
            leg.FilledAvgPrice = prices[i];
            ApplyFill(leg.Symbol, (leg.Side == "buy" ? 1 : -1) * order.Qty * leg.RatioQty, prices[i]);
        }
        order.Status = "filled";
        _working.Remove(order);
        order.FilledQty = order.Qty;
        order.FilledAvgPrice = order.OrderClass == "mleg" ? net : prices[0];
        order.FilledAtNs = now;
        order.UpdatedAtNs = now;
        updates.Add(Make("fill", order, now, order.FilledAvgPrice, order.Qty));
    }

    private void ApplyFill(string symbol, long delta, decimal price)
    {
        if (!_positions.TryGetValue(symbol, out var p))
        {
            _positions[symbol] = new PaperPosition { Symbol = symbol, IsOption = OccSymbol.LooksLikeOption(symbol), Qty = delta, AvgEntryPrice = price };
            return;
        }
        long before = p.Qty, after = before + delta;
        if (after == 0) { _positions.Remove(symbol); return; }
        if (Math.Sign(before) == Math.Sign(delta)) p.AvgEntryPrice = (p.AvgEntryPrice * Math.Abs(before) + price * Math.Abs(delta)) / Math.Abs(after);
        else if (Math.Sign(after) != Math.Sign(before)) p.AvgEntryPrice = price; // crossed through zero
        p.Qty = after;
    }

    private PaperTradeUpdate Make(string eventName, PaperOrder order, long now, decimal? price, long? qty) =>
        new(eventName, order.Id, order.Status, TradingJson.TradeUpdate(eventName, order, now, price, qty, PositionQtys(order)));

    private Dictionary<string, long> PositionQtys(PaperOrder order)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var leg in order.Legs) d[leg.Symbol] = _positions.TryGetValue(leg.Symbol, out var p) ? p.Qty : 0;
        return d;
    }

    private void Publish(List<PaperTradeUpdate> updates)
    {
        foreach (var u in updates) Update?.Invoke(u);
    }

    private static PaperPosition Copy(PaperPosition p) =>
        new() { Symbol = p.Symbol, IsOption = p.IsOption, Qty = p.Qty, AvgEntryPrice = p.AvgEntryPrice };

    private static decimal Round(double price) => Math.Round((decimal)price, 4);
}
