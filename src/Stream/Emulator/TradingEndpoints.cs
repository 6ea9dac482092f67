using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

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

    public TradingEndpoints(PaperBroker broker, Func<string?, string?, bool> credentialsOk)
    {
        _broker = broker;
        _credentialsOk = credentialsOk;
        broker.Update += u =>
        {
            foreach (var (listener, listening) in _listeners)
                if (listening) listener.Writer.TryWrite(u.Json);
        };
    }

    private const string ByClientOrderId = "orders:by_client_order_id";

    public static bool IsTradingPath(string[] parts) =>
        (parts.Length >= 2 && parts[0] == "v2" && parts[1] is "account" or "positions" or "orders" or ByClientOrderId)
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
            string resource = parts[1];
            string? id = parts.Length > 2 ? Uri.UnescapeDataString(parts[2]) : null;
            if (parts.Length > 3 && !(resource == "account" && id == "activities" && parts.Length == 4))
                throw new TradingApiException(404, 40410000, $"{request.Method} {request.Path} is not served by the emulator");
            switch (resource, request.Method, id)
            {
                case ("account", "GET", null):
                    await WriteAsync(context, 200, Account).ConfigureAwait(false);
                    return;
                case ("positions", "GET", null):
                    await WriteAsync(context, 200, w =>
                    {
                        w.WriteStartArray();
                        foreach (var p in _broker.Positions()) TradingJson.Position(w, p, _broker.QuoteOf(p.Symbol));
                        w.WriteEndArray();
                    }).ConfigureAwait(false);
                    return;
                case ("positions", "GET", { } symbol):
                    var position = _broker.Position(symbol) ?? throw new TradingApiException(404, 40410000, "position does not exist");
                    await WriteAsync(context, 200, w => TradingJson.Position(w, position, _broker.QuoteOf(symbol))).ConfigureAwait(false);
                    return;
                case ("positions", "DELETE", { } symbol):
                    long? qty = QueryLong(request, "qty");
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
    /// an mleg order matches on any leg). As Alpaca's.
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
        IEnumerable<PaperOrder> orders = _broker.Orders()
            .Where(o => status == "all" || (status == "open") == o.IsOpen)
            .Where(o => symbols is null || o.Legs.Any(l => symbols.Contains(l.Symbol)));
        if (direction == "desc") orders = orders.Reverse();
        return [.. orders.Take((int)limit)];
    }

    /// <summary><c>GET /v2/account/activities[/{type}][?activity_types=A,B]</c>: the non-trade activities (OPEXP, OPEXC, OPASN), newest first.</summary>
    private List<PaperActivity> Activities(HttpRequest request, string? type)
    {
        var types = type is not null ? [type]
            : request.Query["activity_types"].ToString() is { Length: > 0 } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : null;
        return [.. _broker.Activities().Where(a => types is null || types.Contains(a.ActivityType)).Reverse()];
    }

    private static void Account(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", "00000000-0000-4000-8000-000000000001");
        w.WriteString("account_number", "PAPEREMULATOR");
        w.WriteString("status", "ACTIVE");
        w.WriteString("currency", "USD");
        w.WriteString("cash", "100000");
        w.WriteString("buying_power", "200000");
        w.WriteString("options_buying_power", "100000");
        w.WriteNumber("options_trading_level", 3);
        w.WriteEndObject();
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
