using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;

namespace Streamer.Stream.Emulator;

/// <summary>
/// The trading half of the emulator over the paper broker: <c>/v2/account</c>,
/// <c>/v2/positions[/{symbol}]</c> (GET, DELETE closes), <c>/v2/orders[/{id}]</c> (POST, GET,
/// DELETE cancels) with the <c>APCA-API-KEY-ID</c>/<c>APCA-API-SECRET-KEY</c> headers, and the
/// <c>/stream</c> websocket (auth, listen, trade_updates as JSON in binary frames).
/// </summary>
internal sealed class TradingEndpoints
{
    private readonly PaperBroker _broker;
    private readonly Func<string?, string?, bool> _credentialsOk;
    private readonly ConcurrentDictionary<Channel<byte[]>, bool> _listeners = new();

    private readonly IReadOnlyList<string> _listed;

    /// <param name="listed">The tape's symbols: the assets and option contracts served.</param>
    public TradingEndpoints(PaperBroker broker, Func<string?, string?, bool> credentialsOk, IReadOnlyList<string> listed)
    {
        _broker = broker;
        _credentialsOk = credentialsOk;
        _listed = listed;
        broker.Update += u =>
        {
            foreach (var (listener, listening) in _listeners)
                if (listening) listener.Writer.TryWrite(u.Json);
        };
    }

    private const string ByClientOrderId = "orders:by_client_order_id";

    public static bool IsTradingPath(string[] parts) =>
        (parts.Length >= 2 && parts[0] == "v2" && parts[1] is "account" or "positions" or "orders" or ByClientOrderId
            or "clock" or "calendar" or "assets" or "options")
        || (parts.Length >= 2 && parts[0] == "v3" && parts[1] is "clock" or "calendar")
        || (parts.Length == 1 && parts[0] == "stream");

    public async Task HandleAsync(HttpContext context, string[] parts, CancellationToken ct)
    {
        if (parts[0] == "stream")
        {
            await HandleStreamAsync(context, ct).ConfigureAwait(false);
            return;
        }
        var request = context.Request;
        if (!_credentialsOk(request.Headers["APCA-API-KEY-ID"], request.Headers["APCA-API-SECRET-KEY"]))
        {
            await WriteAsync(context, 401, w => TradingJson.Error(w, 40110000, "request is not authorized")).ConfigureAwait(false);
            return;
        }
        try
        {
            if (parts[0] == "v3")
            {
                await HandleV3Async(context, parts).ConfigureAwait(false);
                return;
            }
            string resource = parts[1];
            string? id = parts.Length > 2 ? Uri.UnescapeDataString(parts[2]) : null;
            bool nested = (resource == "account" && id == "activities") || (resource == "options" && id == "contracts");
            if (parts.Length > (nested ? 4 : 3) || (resource == "options" && id != "contracts"))
                throw new TradingApiException(404, 40410000, $"{request.Method} {request.Path} is not served by the emulator");
            switch (resource, request.Method, id)
            {
                case ("account", "GET", null):
                    await WriteAsync(context, 200, Account).ConfigureAwait(false);
                    return;
                case ("clock", "GET", null):
                    await WriteAsync(context, 200, w => ReferenceJson.Clock(w, _broker.Options.Calendar, _broker.NowNs)).ConfigureAwait(false);
                    return;
                case ("calendar", "GET", null):
                    var days = CalendarDays(request);
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartArray();
                        foreach (var d in days) ReferenceJson.CalendarDay(w, _broker.Options.Calendar, d);
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case ("assets", "GET", null):
                    var assets = Assets(request);
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartArray();
                        foreach (var a in assets) ReferenceJson.Asset(w, a, HasOptions(a));
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case ("assets", "GET", { } symbolOrId):
                    string asset = AllAssets().FirstOrDefault(a => a == symbolOrId || TradingJson.AssetId(a) == symbolOrId)
                        ?? throw new TradingApiException(404, 40410000, "asset not found");
                    await WriteAsync(context, 200, w => ReferenceJson.Asset(w, asset, HasOptions(asset))).ConfigureAwait(false);
                    return;
                case ("options", "GET", "contracts"):
                    if (parts.Length == 4)
                    {
                        string key = Uri.UnescapeDataString(parts[3]);
                        string contract = Contracts().FirstOrDefault(c => c.Symbol == key || TradingJson.AssetId(c.Symbol) == key).Symbol
                            ?? throw new TradingApiException(404, 40410000, "option contract not found");
                        await WriteAsync(context, 200, w => ReferenceJson.Contract(w, contract, OccSymbol.Parse(contract), IsActive(OccSymbol.Parse(contract)))).ConfigureAwait(false);
                        return;
                    }
                    var (page, next) = ContractPage(request);
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartObject();
                        w.WriteStartArray("option_contracts");
                        foreach (var (sym, occ) in page) ReferenceJson.Contract(w, sym, occ, IsActive(occ));
                        w.WriteEndArray();
                        if (next is null) w.WriteNull("next_page_token"); else w.WriteString("next_page_token", next);
                        w.WriteEndObject();
                    }).ConfigureAwait(false);
                    return;
                case ("positions", "GET", null):
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartArray();
                        foreach (var p in _broker.Positions()) TradingJson.Position(w, p, _broker.QuoteOf(p.Symbol));
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case ("positions", "GET", { } symbolOrId):
                    string held = HeldSymbol(symbolOrId);
                    var position = _broker.Position(held) ?? throw new TradingApiException(404, 40410000, "position does not exist");
                    await WriteAsync(context, 200, w => TradingJson.Position(w, position, _broker.QuoteOf(held))).ConfigureAwait(false);
                    return;
                case ("positions", "DELETE", null):
                    var closes = CloseAll(request);
                    await WriteAsync(context, 207, w =>
                    {
                        w.WriteStartArray();
                        foreach (var (sym, status, order, error) in closes)
                        {
                            w.WriteStartObject();
                            w.WriteString("symbol", sym);
                            w.WriteNumber("status", status);
                            if (order is not null) w.WriteString("order_id", order.Id);
                            w.WritePropertyName("body");
                            if (order is not null) TradingJson.Order(w, order);
                            else TradingJson.Error(w, error!.Code, error.Message);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    _broker.FlushRejections();
                    return;
                case ("positions", "DELETE", { } symbolOrId):
                    string symbol = HeldSymbol(symbolOrId);
                    long? qty = PaperOrderRequest.QueryQty(request.Query["qty"].ToString(), "qty");
                    decimal? pct = QueryDecimal(request, "percentage");
                    if (qty is not null && pct is not null) throw TradingApiException.Invalid("give qty or percentage, not both");
                    if (pct is < 0 or > 100) throw TradingApiException.Invalid("percentage must be 0-100");
                    var closing = _broker.ClosePosition(symbol, qty, pct);
                    await WriteAsync(context, 200, w => TradingJson.Order(w, closing)).ConfigureAwait(false);
                    _broker.FlushRejections();
                    return;
                case ("orders", "POST", null):
                    var body = await ReadBodyAsync(request, ct).ConfigureAwait(false);
                    var order = _broker.Submit(PaperOrderRequest.Parse(body));
                    await WriteAsync(context, 200, w => TradingJson.Order(w, order)).ConfigureAwait(false);
                    _broker.FlushRejections(); // after the response, as a rejection from downstream comes
                    return;
                case ("orders", "GET", null):
                    var orders = ListOrders(request);
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartArray();
                        foreach (var o in orders) TradingJson.Order(w, o);
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case (ByClientOrderId, "GET", null):
                    string clientOrderId = request.Query["client_order_id"].ToString();
                    if (clientOrderId.Length == 0) throw TradingApiException.Invalid("client_order_id is required");
                    var byClient = _broker.OrderByClientId(clientOrderId) ?? throw new TradingApiException(404, 40410000, "order not found");
                    await WriteAsync(context, 200, w => TradingJson.Order(w, byClient)).ConfigureAwait(false);
                    return;
                case ("orders", "DELETE", null):
                    var canceled = _broker.CancelAll();
                    await WriteAsync(context, 207, w =>
                    {
                        w.WriteStartArray();
                        foreach (var o in canceled)
                        {
                            w.WriteStartObject();
                            w.WriteString("id", o.Id);
                            w.WriteNumber("status", 200);
                            w.WritePropertyName("body");
                            TradingJson.Order(w, o);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case ("account", "GET", "activities"):
                    var activities = Activities(request, parts.Length > 3 ? parts[3] : null);
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartArray();
                        foreach (var a in activities) TradingJson.Activity(w, a);
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case ("orders", "GET", { } orderId):
                    var found = _broker.Order(orderId) ?? throw new TradingApiException(404, 40410000, "order not found");
                    await WriteAsync(context, 200, w => TradingJson.Order(w, found)).ConfigureAwait(false);
                    return;
                case ("orders", "DELETE", { } orderId):
                    _broker.Cancel(orderId);
                    context.Response.StatusCode = 204;
                    return;
                default:
                    await WriteAsync(context, 404, w => TradingJson.Error(w, 40410000, $"{request.Method} {request.Path} is not served by the emulator")).ConfigureAwait(false);
                    return;
            }
        }
        catch (TradingApiException e)
        {
            await WriteAsync(context, e.Status, w => TradingJson.Error(w, e.Code, e.Message)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>GET /v2/orders</c>: <c>status</c> open (default) | closed | all, <c>limit</c> (default 50,
    /// at most 500), <c>direction</c> desc (default, newest first) | asc, <c>symbols</c> (comma list;
    /// an mleg order matches on any leg), <c>side</c> buy | sell (an mleg order has none, so never
    /// matches), <c>after</c> / <c>until</c> (RFC 3339 or a date; submitted strictly after / before), and
    /// <c>nested</c> true | false (accepted; an mleg order always carries its legs, and the emulator has no
    /// bracket orders for it to roll up). As Alpaca's.
    /// </summary>
    private List<PaperOrder> ListOrders(HttpRequest request)
    {
        string status = request.Query["status"].ToString() is { Length: > 0 } s ? s : "open";
        if (status is not ("open" or "closed" or "all")) throw TradingApiException.Invalid($"status must be open, closed or all, got '{status}'");
        long limit = QueryLong(request, "limit") ?? 50;
        if (limit > 500) throw TradingApiException.Invalid($"limit must be at most 500, got {limit}");
        string direction = request.Query["direction"].ToString() is { Length: > 0 } d ? d : "desc";
        if (direction is not ("asc" or "desc")) throw TradingApiException.Invalid($"direction must be asc or desc, got '{direction}'");
        var symbols = request.Query["symbols"].ToString() is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
            : null;
        string side = request.Query["side"].ToString();
        if (side.Length > 0 && side is not ("buy" or "sell")) throw TradingApiException.Invalid($"side must be buy or sell, got '{side}'");
        string nested = request.Query["nested"].ToString();
        if (nested.Length > 0 && nested is not ("true" or "false")) throw TradingApiException.Invalid($"nested must be true or false, got '{nested}'");
        long after = QueryInstant(request, "after") ?? long.MinValue;
        long until = QueryInstant(request, "until") ?? long.MaxValue;
        IEnumerable<PaperOrder> orders = _broker.Orders()
            .Where(o => status == "all" || (status == "open") == o.IsOpen)
            .Where(o => symbols is null || o.Legs.Any(l => symbols.Contains(l.Symbol)))
            .Where(o => side.Length == 0 || (o.OrderClass != "mleg" && o.Legs[0].Side == side))
            .Where(o => o.CreatedAtNs > after && o.CreatedAtNs < until);
        if (direction == "desc") orders = orders.Reverse();
        return [.. orders.Take((int)limit)];
    }

    /// <summary>
    /// <c>GET /v2/account/activities[/{type}]</c> with <c>activity_types=A,B</c>, <c>category</c>
    /// (trade_activity | non_trade_activity), <c>direction</c> (desc, the default, newest first | asc),
    /// <c>page_size</c> (default and most 100) and <c>page_token</c> (the id of the last one seen):
    /// FILL activities and the non-trade OPEXP, OPEXC, OPASN.
    /// </summary>
    private List<PaperActivity> Activities(HttpRequest request, string? type)
    {
        var types = type is not null ? [type]
            : request.Query["activity_types"].ToString() is { Length: > 0 } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : null;
        string category = request.Query["category"].ToString();
        if (category.Length > 0 && category is not ("trade_activity" or "non_trade_activity"))
            throw TradingApiException.Invalid($"category must be trade_activity or non_trade_activity, got '{category}'");
        if (category.Length > 0 && types is not null) throw TradingApiException.Invalid("give activity_types or category, not both");
        string direction = request.Query["direction"].ToString() is { Length: > 0 } d ? d : "desc";
        if (direction is not ("asc" or "desc")) throw TradingApiException.Invalid($"direction must be asc or desc, got '{direction}'");
        long size = QueryLong(request, "page_size") ?? 100;
        if (size > 100) throw TradingApiException.Invalid($"page_size must be at most 100, got {size}");
        IEnumerable<PaperActivity> all = _broker.Activities()
            .Where(a => types is null || types.Contains(a.ActivityType))
            .Where(a => category.Length == 0 || (category == "trade_activity") == (a.Fill is not null));
        if (direction == "desc") all = all.Reverse();
        if (request.Query["page_token"].ToString() is { Length: > 0 } token) all = all.SkipWhile(a => a.Id != token).Skip(1);
        return [.. all.Take((int)size)];
    }

    /// <summary>
    /// The one paper account (alpaca-py <c>TradeAccount</c>, every number a string): cash starts at
    /// 100000 and moves with every fill (and exercise/assignment); equity is cash plus the positions at
    /// their quote mids. Buying power is not enforced (no 403 for it); it is shown as 2 × cash for
    /// margin and 1 × cash for options.
    /// </summary>
    private void Account(Utf8JsonWriter w)
    {
        decimal cash = _broker.Cash;
        decimal longValue = 0, shortValue = 0;
        foreach (var p in _broker.Positions())
        {
            decimal price = _broker.QuoteOf(p.Symbol) is { } q ? (q.Bid + q.Ask) / 2 : p.AvgEntryPrice;
            decimal value = p.Qty * price * p.Multiplier;
            if (value >= 0) longValue += value; else shortValue += value;
        }
        decimal equity = cash + longValue + shortValue;
        w.WriteStartObject();
        w.WriteString("id", TradingJson.AccountId);
        w.WriteNull("admin_configurations");
        w.WriteNull("user_configurations");
        w.WriteString("account_number", "PAPEREMULATOR");
        w.WriteString("status", "ACTIVE");
        w.WriteString("crypto_status", "INACTIVE");
        w.WriteNumber("options_approved_level", 3);
        w.WriteNumber("options_trading_level", 3);
        w.WriteString("currency", "USD");
        w.WriteString("buying_power", M(Math.Max(0, 2 * cash)));
        w.WriteString("regt_buying_power", M(Math.Max(0, 2 * cash)));
        w.WriteString("daytrading_buying_power", "0");
        w.WriteString("effective_buying_power", M(Math.Max(0, 2 * cash)));
        w.WriteString("non_marginable_buying_power", M(Math.Max(0, cash)));
        w.WriteString("options_buying_power", M(Math.Max(0, cash)));
        w.WriteString("bod_dtbp", "0");
        w.WriteString("cash", M(cash));
        w.WriteString("accrued_fees", "0");
        w.WriteString("portfolio_value", M(equity));
        w.WriteBoolean("pattern_day_trader", false);
        w.WriteBoolean("trading_blocked", false);
        w.WriteBoolean("transfers_blocked", false);
        w.WriteBoolean("account_blocked", false);
        w.WriteString("created_at", "2024-01-02T14:30:00Z");
        w.WriteBoolean("trade_suspended_by_user", false);
        w.WriteString("multiplier", "2");
        w.WriteBoolean("shorting_enabled", true);
        w.WriteString("equity", M(equity));
        w.WriteString("last_equity", M(equity));
        w.WriteString("long_market_value", M(longValue));
        w.WriteString("short_market_value", M(shortValue));
        w.WriteString("position_market_value", M(longValue - shortValue));
        w.WriteString("initial_margin", "0");
        w.WriteString("maintenance_margin", "0");
        w.WriteString("last_maintenance_margin", "0");
        w.WriteString("sma", "0");
        w.WriteNumber("daytrade_count", 0);
        w.WriteString("balance_asof", ReferenceJson.Date(_broker.Options.Calendar.NewYorkDate(_broker.NowNs)));
        w.WriteString("intraday_adjustments", "0");
        w.WriteString("pending_reg_taf_fees", "0");
        w.WriteEndObject();

        static string M(decimal d) => TradingJson.Money(Math.Round(d, 2));
    }

    /// <summary>
    /// <c>GET /v2/calendar?start&amp;end</c> (YYYY-MM-DD, inclusive): the trading days between. Without
    /// them Alpaca returns its whole table; the emulator defaults to the market date's year and the
    /// next (the NYSE rules in src/Rules/Calendar, not Alpaca's historical table).
    /// </summary>
    private List<DateOnly> CalendarDays(HttpRequest request)
    {
        var calendar = _broker.Options.Calendar;
        var today = calendar.NewYorkDate(_broker.NowNs);
        var start = QueryDate(request, "start") ?? new DateOnly(today.Year, 1, 1);
        var end = QueryDate(request, "end") ?? new DateOnly(today.Year + 1, 12, 31);
        if (end < start) return [];
        if (start.Year < MarketCalendar.MinYear || end.Year > MarketCalendar.MaxYear - 1)
            throw TradingApiException.Invalid($"start and end must be within {MarketCalendar.MinYear}-{MarketCalendar.MaxYear - 1}");
        var days = new List<DateOnly>();
        for (var d = start; d <= end; d = d.AddDays(1))
            if (calendar.IsTradingDay(d)) days.Add(d);
        return days;
    }

    /// <summary><c>GET /v3/clock?markets=A,B&amp;time=T</c> (default NYSE, now) and <c>GET /v3/calendar/{market}?start&amp;end&amp;timezone</c>.</summary>
    private async Task HandleV3Async(HttpContext context, string[] parts)
    {
        var request = context.Request;
        var calendar = _broker.Options.Calendar;
        if (request.Method != "GET") throw new TradingApiException(405, 40510000, "method not allowed");
        if (parts is ["v3", "clock"])
        {
            var names = request.Query["markets"].ToString();
            var markets = names.Length == 0 ? [MarketClockJson.Find("NYSE")] : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(MarketClockJson.Find).ToList();
            long now = _broker.NowNs;
            if (request.Query["time"].ToString() is { Length: > 0 } t)
                now = NanoTime.TryParseRfc3339(t, out long at) ? at : throw TradingApiException.Invalid($"time must be RFC 3339, got '{t}'");
            await WriteAsync(context, 200, w => MarketClockJson.Clocks(w, calendar, markets, now)).ConfigureAwait(false);
            return;
        }
        if (parts is ["v3", "calendar", var acronym])
        {
            var market = MarketClockJson.Find(Uri.UnescapeDataString(acronym));
            string tz = request.Query["timezone"].ToString();
            if (tz.Length > 0 && tz != "UTC") throw TradingApiException.Invalid($"timezone must be UTC (or left out for the market's own), got '{tz}'");
            var days = CalendarDays(request);
            await WriteAsync(context, 200, w => MarketClockJson.Calendar(w, calendar, market, days, utc: tz == "UTC")).ConfigureAwait(false);
            return;
        }
        throw new TradingApiException(404, 40410000, $"{request.Method} {request.Path} is not served by the emulator");
    }

    /// <summary>An RFC 3339 instant, or a date (its New York midnight).</summary>
    private static long? QueryInstant(HttpRequest request, string name)
    {
        var v = request.Query[name].ToString();
        if (v.Length == 0) return null;
        if (NanoTime.TryParseRfc3339(v, out long ns)) return ns;
        if (DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return MarketCalendar.NewYorkToUtc(d, TimeOnly.MinValue);
        throw TradingApiException.Invalid($"{name} must be an RFC 3339 time or a date, got '{v}'");
    }

    private static DateOnly? QueryDate(HttpRequest request, string name)
    {
        var v = request.Query[name].ToString();
        if (v.Length == 0) return null;
        // the Node SDK sends a full ISO time for date parameters; the date part is what counts
        string datePart = v.Length >= 10 ? v[..10] : v;
        return DateOnly.TryParseExact(datePart, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d : throw TradingApiException.Invalid($"{name} must be a date (YYYY-MM-DD), got '{v}'");
    }

    /// <summary>The tape's symbols plus the roots of its options (an underlying is an asset even when the tape has no quote for it).</summary>
    private List<string> AllAssets()
    {
        var all = new SortedSet<string>(_listed, StringComparer.Ordinal);
        foreach (var s in _listed)
            if (OccSymbol.TryParse(s, out var occ, out _)) all.Add(occ.Root);
        return [.. all];
    }

    private bool HasOptions(string symbol) =>
        _listed.Any(s => OccSymbol.TryParse(s, out var occ, out _) && occ.Root == symbol);

    /// <summary><c>GET /v2/assets?status&amp;asset_class&amp;exchange</c>: all classes unless asked (as Alpaca).</summary>
    private List<string> Assets(HttpRequest request)
    {
        string status = request.Query["status"].ToString();
        if (status is "inactive") return []; // everything on the tape trades
        if (status.Length > 0 && status != "active") throw TradingApiException.Invalid($"status must be active or inactive, got '{status}'");
        string assetClass = request.Query["asset_class"].ToString();
        if (assetClass.Length > 0 && assetClass is not ("us_equity" or "us_option" or "crypto"))
            throw TradingApiException.Invalid($"asset_class must be us_equity, us_option or crypto, got '{assetClass}'");
        string exchange = request.Query["exchange"].ToString();
        return [.. AllAssets().Where(a =>
        {
            bool option = OccSymbol.LooksLikeOption(a);
            if (assetClass.Length > 0 && assetClass != (option ? "us_option" : "us_equity")) return false;
            return exchange.Length == 0 || (!option && exchange == "NASDAQ");
        })];
    }

    private List<(string Symbol, OccSymbol Occ)> Contracts()
    {
        var list = new List<(string, OccSymbol)>();
        foreach (var s in _listed)
            if (OccSymbol.TryParse(s, out var occ, out _)) list.Add((s, occ));
        list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return list;
    }

    /// <summary>A contract trades until its expiration (16:00 New York on its date) on the market clock.</summary>
    private bool IsActive(OccSymbol occ) => _broker.NowNs < MarketCalendar.ExpirationUtc(occ.Expiration);

    /// <summary>
    /// <c>GET /v2/options/contracts</c> with Alpaca's filters: <c>underlying_symbols</c>, <c>root_symbol</c>,
    /// <c>status</c> (active by default), <c>expiration_date</c>, <c>expiration_date_gte</c>/<c>_lte</c>
    /// (none given: contracts expiring by the coming weekend, Alpaca's documented default), <c>type</c>,
    /// <c>style</c>, <c>strike_price_gte</c>/<c>_lte</c>, <c>limit</c> (default 100, at most 10000) and
    /// <c>page_token</c> (an opaque offset here).
    /// </summary>
    private (List<(string Symbol, OccSymbol Occ)> Page, string? Next) ContractPage(HttpRequest request)
    {
        var q = request.Query;
        var underlyings = q["underlying_symbols"].ToString() is { Length: > 0 } u
            ? u.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) : null;
        string root = q["root_symbol"].ToString();
        string status = q["status"].ToString() is { Length: > 0 } st ? st : "active";
        if (status is not ("active" or "inactive")) throw TradingApiException.Invalid($"status must be active or inactive, got '{status}'");
        var on = QueryDate(request, "expiration_date");
        var gte = QueryDate(request, "expiration_date_gte");
        var lte = QueryDate(request, "expiration_date_lte");
        if (on is null && gte is null && lte is null)
        {
            var today = _broker.Options.Calendar.NewYorkDate(_broker.NowNs);
            int toSunday = ((int)DayOfWeek.Sunday - (int)today.DayOfWeek + 7) % 7;
            lte = today.AddDays(toSunday);
        }
        string type = q["type"].ToString();
        if (type.Length > 0 && type is not ("call" or "put")) throw TradingApiException.Invalid($"type must be call or put, got '{type}'");
        string style = q["style"].ToString();
        if (style.Length > 0 && style is not ("american" or "european")) throw TradingApiException.Invalid($"style must be american or european, got '{style}'");
        decimal? strikeGte = QueryDecimal(request, "strike_price_gte"), strikeLte = QueryDecimal(request, "strike_price_lte");
        long limit = QueryLong(request, "limit") ?? 100;
        if (limit > 10000) throw TradingApiException.Invalid($"limit must be at most 10000, got {limit}");
        int offset = 0;
        if (q["page_token"].ToString() is { Length: > 0 } token && !int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            throw TradingApiException.Invalid($"page_token is not valid: '{token}'");
        var matches = Contracts().Where(c =>
        {
            var (sym, occ) = c;
            decimal strike = occ.StrikeThousandths / 1000m;
            return (underlyings is null || underlyings.Contains(occ.Root))
                && (root.Length == 0 || occ.Root == root)
                && (status == "active") == IsActive(occ)
                && (on is null || occ.Expiration == on)
                && (gte is null || occ.Expiration >= gte)
                && (lte is null || occ.Expiration <= lte)
                && (type.Length == 0 || type == (occ.Right == OptionRight.Call ? "call" : "put"))
                && (style.Length == 0 || style == "american")
                && (strikeGte is null || strike >= strikeGte)
                && (strikeLte is null || strike <= strikeLte);
        }).ToList();
        var page = matches.Skip(offset).Take((int)limit).ToList();
        string? next = offset + page.Count < matches.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : null;
        return (page, next);
    }

    /// <summary>A position's symbol from a symbol or an asset id (Alpaca takes either).</summary>
    private string HeldSymbol(string symbolOrId)
    {
        if (!Guid.TryParse(symbolOrId, out _)) return symbolOrId;
        foreach (var p in _broker.Positions())
            if (TradingJson.AssetId(p.Symbol) == symbolOrId) return p.Symbol;
        return symbolOrId;
    }

    /// <summary>
    /// <c>DELETE /v2/positions[?cancel_orders=true]</c>: a closing market order per position (after
    /// canceling every open order when asked), answered 207 with each symbol's status and order, or the
    /// error that kept it open.
    /// </summary>
    private List<(string Symbol, int Status, PaperOrder? Order, TradingApiException? Error)> CloseAll(HttpRequest request)
    {
        string cancel = request.Query["cancel_orders"].ToString();
        if (cancel.Length > 0 && !bool.TryParse(cancel, out _)) throw TradingApiException.Invalid($"cancel_orders must be true or false, got '{cancel}'");
        if (cancel.Length > 0 && bool.Parse(cancel)) _broker.CancelAll();
        var results = new List<(string, int, PaperOrder?, TradingApiException?)>();
        foreach (var p in _broker.Positions())
        {
            try
            {
                results.Add((p.Symbol, 200, _broker.ClosePosition(p.Symbol, null, null), null));
            }
            catch (TradingApiException e)
            {
                results.Add((p.Symbol, e.Status, null, e));
            }
        }
        return results;
    }

    private async Task HandleStreamAsync(HttpContext context, CancellationToken ct)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var outbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        _listeners[outbox] = false;
        var pump = PumpAsync(socket, outbox.Reader, ct);
        try
        {
            bool authorized = false;
            var buffer = new byte[64 * 1024];
            while (socket.State == WebSocketState.Open && !ct.IsCancellationRequested)
            {
                int length = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    if (length == buffer.Length) return; // nobody sends 64 KiB of control messages
                    r = await socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    length += r.Count;
                }
                while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);
                if (r.MessageType == WebSocketMessageType.Close) break;

                var (action, key, secret, streams) = ParseStreamRequest(buffer.AsSpan(0, length));
                switch (action)
                {
                    case "auth" or "authenticate":
                        authorized = _credentialsOk(key, secret);
                        outbox.Writer.TryWrite(Json(w =>
                        {
                            w.WriteStartObject();
                            w.WriteString("stream", "authorization");
                            w.WriteStartObject("data");
                            w.WriteString("status", authorized ? "authorized" : "unauthorized");
                            w.WriteString("action", "authenticate");
                            w.WriteEndObject();
                            w.WriteEndObject();
                        }));
                        break;
                    case "listen" when authorized:
                        bool trade = streams.Contains("trade_updates");
                        _listeners[outbox] = trade;
                        outbox.Writer.TryWrite(Json(w =>
                        {
                            w.WriteStartObject();
                            w.WriteString("stream", "listening");
                            w.WriteStartObject("data");
                            w.WriteStartArray("streams");
                            if (trade) w.WriteStringValue("trade_updates");
                            w.WriteEndArray();
                            w.WriteEndObject();
                            w.WriteEndObject();
                        }));
                        break;
                    default:
                        outbox.Writer.TryWrite(Json(w =>
                        {
                            w.WriteStartObject();
                            w.WriteString("stream", "authorization");
                            w.WriteStartObject("data");
                            w.WriteString("status", "unauthorized");
                            w.WriteString("action", action ?? "");
                            w.WriteEndObject();
                            w.WriteEndObject();
                        }));
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // client gone or emulator stopping
        }
        finally
        {
            _listeners.TryRemove(outbox, out _);
            outbox.Writer.TryComplete();
            try { await pump.ConfigureAwait(false); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { }
        }
    }

    private static async Task PumpAsync(WebSocket socket, ChannelReader<byte[]> outbox, CancellationToken ct)
    {
        await foreach (var frame in outbox.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (socket.State != WebSocketState.Open) return;
            // the paper stream sends JSON in binary frames (alpaca.md)
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
        }
    }

    private static (string? Action, string? Key, string? Secret, List<string> Streams) ParseStreamRequest(ReadOnlySpan<byte> json)
    {
        var streams = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            string? action = Get(root, "action");
            string? key = Get(root, "key");
            string? secret = Get(root, "secret");
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                key ??= Get(data, "key_id");
                secret ??= Get(data, "secret_key");
                if (data.TryGetProperty("streams", out var s) && s.ValueKind == JsonValueKind.Array)
                    streams.AddRange(s.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
            return (action, key, secret, streams);
        }
        catch (JsonException)
        {
            return (null, null, null, streams);
        }

        static string? Get(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = Json(write);
        await context.Response.Body.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        await request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
        if (ms.Length > 1 << 20) throw TradingApiException.Invalid("request body too large");
        return ms.ToArray();
    }

    private static long? QueryLong(HttpRequest request, string name)
    {
        var v = request.Query[name].ToString();
        if (v.Length == 0) return null;
        return long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
            ? n : throw TradingApiException.Invalid($"{name} must be a positive whole number, got '{v}'");
    }

    private static decimal? QueryDecimal(HttpRequest request, string name)
    {
        var v = request.Query[name].ToString();
        if (v.Length == 0) return null;
        return decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d : throw TradingApiException.Invalid($"{name} must be a number, got '{v}'");
    }
}
