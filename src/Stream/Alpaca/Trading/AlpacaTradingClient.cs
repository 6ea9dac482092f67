using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Streamer.Feed.Alpaca;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// Alpaca's trading REST API (alpaca.md): positions, orders (simple and mleg), closing a
/// position. Keys travel in the <c>APCA-API-KEY-ID</c>/<c>APCA-API-SECRET-KEY</c> headers of
/// each request, never in a log. Refusals throw <see cref="AlpacaApiException"/> with the
/// broker's code and message.
/// </summary>
internal sealed class AlpacaTradingClient(HttpClient http, Uri tradingUrl, AlpacaCredentials credentials)
{
    public async Task<IReadOnlyList<BrokerPosition>> GetPositionsAsync(CancellationToken ct = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, "v2/positions", null, ct).ConfigureAwait(false);
        return [.. doc!.RootElement.EnumerateArray().Select(TradingJsonReader.Position)];
    }

    /// <summary>The position, or null when flat (404).</summary>
    public async Task<BrokerPosition?> GetPositionAsync(string symbol, CancellationToken ct = default)
    {
        try
        {
            using var doc = await SendAsync(HttpMethod.Get, $"v2/positions/{Uri.EscapeDataString(symbol)}", null, ct).ConfigureAwait(false);
            return TradingJsonReader.Position(doc!.RootElement);
        }
        catch (AlpacaApiException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<BrokerOrder> SubmitOrderAsync(OrderRequest order, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.Legs.Count == 0 || order.Legs.Count > 4) throw new ArgumentException("an order has 1 to 4 legs", nameof(order));
        using var doc = await SendAsync(HttpMethod.Post, "v2/orders", OrderJson(order), ct).ConfigureAwait(false);
        return TradingJsonReader.Order(doc!.RootElement);
    }

    public async Task<BrokerOrder> GetOrderAsync(string id, CancellationToken ct = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, $"v2/orders/{Uri.EscapeDataString(id)}", null, ct).ConfigureAwait(false);
        return TradingJsonReader.Order(doc!.RootElement);
    }

    public async Task<IReadOnlyList<BrokerOrder>> GetOpenOrdersAsync(CancellationToken ct = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, "v2/orders?status=open", null, ct).ConfigureAwait(false);
        return [.. doc!.RootElement.EnumerateArray().Select(TradingJsonReader.Order)];
    }

    /// <summary><c>GET /v2/orders:by_client_order_id</c>: the order with that client id (any status), null when none (404).</summary>
    public async Task<BrokerOrder?> GetOrderByClientOrderIdAsync(string clientOrderId, CancellationToken ct = default)
    {
        try
        {
            using var doc = await SendAsync(HttpMethod.Get, $"v2/orders:by_client_order_id?client_order_id={Uri.EscapeDataString(clientOrderId)}", null, ct).ConfigureAwait(false);
            return TradingJsonReader.Order(doc!.RootElement);
        }
        catch (AlpacaApiException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary><c>GET /v2/orders?status=open|closed|all</c>.</summary>
    public async Task<IReadOnlyList<BrokerOrder>> GetOrdersAsync(string status, CancellationToken ct = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, $"v2/orders?status={Uri.EscapeDataString(status)}&limit=500", null, ct).ConfigureAwait(false);
        return [.. doc!.RootElement.EnumerateArray().Select(TradingJsonReader.Order)];
    }

    public async Task CancelOrderAsync(string id, CancellationToken ct = default)
    {
        using var _ = await SendAsync(HttpMethod.Delete, $"v2/orders/{Uri.EscapeDataString(id)}", null, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /v2/positions/{symbol}</c>: closes all, or <paramref name="qty"/> of it; returns the closing order.</summary>
    public async Task<BrokerOrder> ClosePositionAsync(string symbol, long? qty = null, CancellationToken ct = default)
    {
        string path = $"v2/positions/{Uri.EscapeDataString(symbol)}" + (qty is { } q ? $"?qty={q.ToString(CultureInfo.InvariantCulture)}" : "");
        using var doc = await SendAsync(HttpMethod.Delete, path, null, ct).ConfigureAwait(false);
        return TradingJsonReader.Order(doc!.RootElement);
    }

    internal static string OrderJson(OrderRequest order)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (order.Legs.Count == 1)
            {
                var leg = order.Legs[0];
                w.WriteString("symbol", leg.Symbol);
                w.WriteString("side", leg.Side);
                if (leg.PositionIntent.Length > 0) w.WriteString("position_intent", leg.PositionIntent);
            }
            else
            {
                w.WriteString("order_class", "mleg");
            }
            w.WriteString("qty", order.Qty.ToString(CultureInfo.InvariantCulture));
            w.WriteString("type", order.LimitPrice is null ? "market" : "limit");
            w.WriteString("time_in_force", "day");
            if (order.LimitPrice is { } limit) w.WriteString("limit_price", limit.ToString(CultureInfo.InvariantCulture));
            w.WriteString("client_order_id", order.ClientOrderId);
            if (order.Legs.Count > 1)
            {
                w.WriteStartArray("legs");
                foreach (var leg in order.Legs)
                {
                    w.WriteStartObject();
                    w.WriteString("symbol", leg.Symbol);
                    w.WriteString("ratio_qty", leg.RatioQty.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("side", leg.Side);
                    if (leg.PositionIntent.Length > 0) w.WriteString("position_intent", leg.PositionIntent);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private async Task<JsonDocument?> SendAsync(HttpMethod method, string path, string? json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(tradingUrl, path));
        request.Headers.Add("APCA-API-KEY-ID", credentials.KeyId);
        request.Headers.Add("APCA-API-SECRET-KEY", credentials.SecretKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw Refused(response.StatusCode, body);
        if (response.StatusCode == HttpStatusCode.NoContent || body.Length == 0) return null;
        return JsonDocument.Parse(body);
    }

    private static AlpacaApiException Refused(HttpStatusCode status, byte[] body)
    {
        int code = 0;
        string message = Encoding.UTF8.GetString(body);
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number) code = c.GetInt32();
            if (TradingJsonReader.Str(doc.RootElement, "message") is { } m) message = m;
        }
        catch (JsonException)
        {
            // not JSON: keep the raw text
        }
        return new AlpacaApiException((int)status, code, message);
    }
}
