using NATS.Client.Services;

namespace Streamer.Stream.Nats;

// the control API as a NATS service (NATS.Client.Services): endpoints, $SRV discovery and stats are the library's
public sealed partial class NatsBus
{
    public async Task<IAsyncDisposable> ServeAsync(ServiceDescription service, IReadOnlyList<ServiceEndpoint> endpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(endpoints);
        var context = new NatsSvcContext(Connection);
        var server = await context.AddServiceAsync(new NatsSvcConfig(service.Name, service.Version)
        {
            Description = service.Description,
            QueueGroup = service.QueueGroup,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var endpoint in endpoints)
                await server.AddEndpointAsync<byte[]>(m => ReplyAsync(endpoint, m), endpoint.Name, endpoint.Subject, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>what a reply leaves for its headers (the micro error headers are far smaller).</summary>
    public const int ReplyHeadroom = 1024;

    private static byte[] ServiceJsonError(string error)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteBoolean("ok"u8, false);
            w.WriteString("error"u8, error);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async ValueTask ReplyAsync(ServiceEndpoint endpoint, NatsSvcMsg<byte[]> request)
    {
        if (request.ReplyTo is null) return; // nobody to answer: a published, not requested, control message
        ServiceReply reply;
        try
        {
            reply = endpoint.Handle(new BusMessage(request.Subject, request.ReplyTo, request.Data ?? []));
        }
#pragma warning disable CA1031 // a handler's bug is an error reply, not a dead endpoint
        catch (Exception e)
#pragma warning restore CA1031
        {
            _lastError = $"{endpoint.Subject}: {e.Message}";
            await request.ReplyErrorAsync(500, e.Message, cancellationToken: _stop.Token).ConfigureAwait(false);
            return;
        }
        if (reply.Payload.Length > MaxPayload - ReplyHeadroom)
        {
            // a handler must page what can grow (control.list does); this is the net under it, not a dropped connection
            var error = $"{endpoint.Subject}: the reply ({reply.Payload.Length} bytes) is over the server's max_payload ({MaxPayload})";
            _lastError = error;
            await request.ReplyErrorAsync(500, error, ServiceJsonError(error), cancellationToken: _stop.Token).ConfigureAwait(false);
            return;
        }
        if (reply.Error is null) await request.ReplyAsync(reply.Payload, cancellationToken: _stop.Token).ConfigureAwait(false);
        // micro error headers want one line
        else await request.ReplyErrorAsync(reply.ErrorCode, reply.Error.ReplaceLineEndings(" "), reply.Payload, cancellationToken: _stop.Token).ConfigureAwait(false);
    }
}
