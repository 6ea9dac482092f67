using System.Buffers;
using System.Net.WebSockets;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Emulator;

/// <summary>One client of the emulator: its format, auth state, subscriptions and serialised sends.</summary>
internal sealed class EmulatorConnection(WebSocket socket, EmulatorFormat format, bool options, SymbolTable symbols, QuoteSizes sizes) : IDisposable
{
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Lock _gate = new();
    // replies list symbols in the order they were first subscribed, as a reader would expect
    private readonly List<string> _quotes = [];
    private readonly List<string> _trades = [];
    private HashSet<int> _quoteIds = [];
    private HashSet<int> _tradeIds = [];
    private bool _allQuotes, _allTrades;
    private ServerMessages.Batch? _batch;

    public WebSocket Socket => socket;

    public EmulatorFormat Format => format;

    public bool IsOptions => options;

    public volatile bool Authenticated;

    public bool HasSubscriptions
    {
        get { lock (_gate) return _quotes.Count > 0 || _trades.Count > 0; }
    }

    /// <summary>Every symbol this client holds on either channel now.</summary>
    public IEnumerable<string> Subscribed
    {
        get { lock (_gate) return [.. _quotes.Union(_trades, StringComparer.Ordinal)]; }
    }

    /// <summary>Distinct symbols after applying a change, for the 405 check.</summary>
    public int CountAfter(string action, IReadOnlyCollection<string> trades, IReadOnlyCollection<string> quotes)
    {
        lock (_gate)
        {
            var all = new HashSet<string>(_quotes, StringComparer.Ordinal);
            all.UnionWith(_trades);
            if (action == "subscribe") { all.UnionWith(trades); all.UnionWith(quotes); }
            else
            {
                // a symbol only leaves the count when neither channel holds it any more
                var q = new HashSet<string>(_quotes, StringComparer.Ordinal);
                q.ExceptWith(quotes);
                var t = new HashSet<string>(_trades, StringComparer.Ordinal);
                t.ExceptWith(trades);
                all = q;
                all.UnionWith(t);
            }
            all.Remove("*");
            return all.Count;
        }
    }

    public (string[] Trades, string[] Quotes) Apply(string action, IReadOnlyCollection<string> trades, IReadOnlyCollection<string> quotes)
    {
        lock (_gate)
        {
            Change(_trades, trades, action);
            Change(_quotes, quotes, action);
            _allQuotes = _quotes.Contains("*");
            _allTrades = _trades.Contains("*");
            _quoteIds = Ids(_quotes);
            _tradeIds = Ids(_trades);
            return ([.. _trades], [.. _quotes]);
        }
    }

    private static void Change(List<string> current, IReadOnlyCollection<string> items, string action)
    {
        foreach (var s in items)
        {
            if (action == "subscribe") { if (!current.Contains(s)) current.Add(s); }
            else current.Remove(s);
        }
    }

    private HashSet<int> Ids(List<string> list)
    {
        var ids = new HashSet<int>();
        foreach (var s in list)
        {
            int id = s == "*" ? 0 : symbols.Lookup(s);
            if (id != 0) ids.Add(id);
        }
        return ids;
    }

    /// <summary>Sends one frame written by <paramref name="write"/>; frames never interleave.</summary>
    public async Task SendAsync(Action<IBufferWriter<byte>, EmulatorFormat> write, CancellationToken ct)
    {
        await _send.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _buffer.Clear();
            write(_buffer, format);
            await SendBufferAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Sends the ticks of <paramref name="ticks"/>[from..to) this client subscribed to, as one frame; returns how many messages.</summary>
    public async Task<int> SendTicksAsync(Tick[] ticks, int from, int to, long timeOffsetNs, CancellationToken ct)
    {
        if (!Authenticated || socket.State != WebSocketState.Open) return 0; // gone: nothing is sent, nothing counted
        await _send.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _buffer.Clear();
            _batch ??= new ServerMessages.Batch(_buffer, format, options);
            _batch.BeginBatch();
            lock (_gate)
            {
                for (int i = from; i < to; i++)
                {
                    ref readonly var t = ref ticks[i];
                    // each stream carries its own asset class: stocks on /v2, options on /v1beta1
                    if (symbols.IsOption(t.SymbolId) != options) continue;
                    var symbol = symbols.Utf8(t.SymbolId);
                    if (t.HasQuote && (_allQuotes || _quoteIds.Contains(t.SymbolId)))
                    {
                        long time = t.TimeNs + timeOffsetNs;
                        var (bidSize, askSize) = sizes.Of(t.SymbolId, time); // the sizes the paper broker fills against
                        _batch.Quote(symbol, t, time, bidSize, askSize);
                    }
                    if (t.HasTrade && (_allTrades || _tradeIds.Contains(t.SymbolId))) _batch.Trade(symbol, t, t.TimeNs + timeOffsetNs);
                }
            }
            int count = _batch.Count;
            if (count == 0) return 0;
            _batch.EndBatch();
            await SendBufferAsync(ct).ConfigureAwait(false);
            return count;
        }
        finally
        {
            _send.Release();
        }
    }

    private ValueTask SendBufferAsync(CancellationToken ct) =>
        socket.State == WebSocketState.Open
            ? socket.SendAsync(_buffer.WrittenMemory, format == EmulatorFormat.Json ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, ct)
            : ValueTask.CompletedTask;

    public void Dispose()
    {
        _batch?.Dispose();
        _send.Dispose();
    }
}
