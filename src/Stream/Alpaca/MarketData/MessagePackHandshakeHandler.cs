namespace Streamer.Stream.Alpaca.MarketData;

/// <summary>
/// Puts <c>Content-Type: application/msgpack</c> on the websocket upgrade request, which is
/// how Alpaca's streams are asked for MessagePack. <c>ClientWebSocket.Options.SetRequestHeader</c>
/// silently drops it (a content header on a request without content), so the header travels
/// on an empty content with an explicit <c>Content-Length: 0</c> (no body, the upgrade stays valid).
/// </summary>
public sealed class MessagePackHandshakeHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent([]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/msgpack");
        content.Headers.ContentLength = 0;
        request.Content = content;
        return base.SendAsync(request, cancellationToken);
    }
}
