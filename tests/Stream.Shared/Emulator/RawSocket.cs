using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Feed.MessagePack;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Tests.Emulator;

/// <summary>A bare websocket client for checking the emulator's protocol frame by frame.</summary>
internal sealed class RawSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();
    private readonly byte[] _buffer = new byte[1 << 20];

    /// <param name="smallReceiveBuffer">a 4 KiB kernel receive buffer (no autotuning): a client that stops reading
    /// stalls the sender after a few frames instead of after megabytes (the slow-client test, on a loaded machine).</param>
    public static async Task<RawSocket> ConnectAsync(Uri url, bool msgpack = false, bool smallReceiveBuffer = false)
    {
        var s = new RawSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        if (smallReceiveBuffer)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, ct);
                        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            using var invoker = new HttpMessageInvoker(handler);
            await s._ws.ConnectAsync(url, invoker, cts.Token);
        }
        else if (msgpack)
        {
            using var invoker = new HttpMessageInvoker(new MessagePackHandshakeHandler(new SocketsHttpHandler()));
            await s._ws.ConnectAsync(url, invoker, cts.Token);
        }
        else
        {
            await s._ws.ConnectAsync(url, cts.Token);
        }
        return s;
    }

    public WebSocketState State => _ws.State;

    public Task SendTextAsync(string json) =>
        _ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendMsgPackAsync(Action<MessagePackWriter> write)
    {
        var b = new ArrayBufferWriter<byte>();
        write(new MessagePackWriter(b));
        return _ws.SendAsync(b.WrittenMemory, WebSocketMessageType.Binary, true, CancellationToken.None).AsTask();
    }

    /// <summary>The next frame; Type Close when the server closed.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        int length = 0;
        while (true)
        {
            var r = await _ws.ReceiveAsync(_buffer.AsMemory(length), cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (WebSocketMessageType.Close, []);
            length += r.Count;
            if (r.EndOfMessage) return (r.MessageType, _buffer[..length]);
        }
    }

    public async Task<string> ReceiveTextAsync(int timeoutMs = 10_000)
    {
        var (type, bytes) = await ReceiveAsync(timeoutMs);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Parses the next binary frame with the production parser.</summary>
    public async Task<Collected> ReceiveMsgPackAsync(SymbolTable symbols, int timeoutMs = 10_000)
    {
        var (type, bytes) = await ReceiveAsync(timeoutMs);
        Assert.Equal(WebSocketMessageType.Binary, type);
        var c = new Collected();
        Assert.True(new AlpacaFrameParser(symbols).ParseMessagePack(bytes, c));
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ws.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(1000);
            try { await _ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
        _ws.Dispose();
    }
}

internal sealed class Collected : IAlpacaFrameHandler
{
    public List<Tick> Ticks { get; } = [];
    public List<AlpacaControlMessage> Controls { get; } = [];
    public void OnTick(in Tick tick) => Ticks.Add(tick);
    public void OnControl(AlpacaControlMessage message) => Controls.Add(message);
}
