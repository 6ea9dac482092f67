using System.Buffers;
using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Service.Gateway;

namespace Streamer.Stream.Alpaca.Gateway;

/// <summary>
/// Publishes ticks on <c>streamer.ticks.&lt;UNDERLYING&gt;</c>, one <see cref="TickWire"/> record per message,
/// for one source thread (each upstream stream has its own publisher: nothing shared on the tick path).
/// Per tick it allocates nothing: the subject string and the symbol's bytes are cached per symbol id
/// (<see cref="TickSubjects"/>), and the record is written into a pooled buffer that is reused as soon as
/// the client has copied it (its fast path); only when the client's writer is busy does the publisher
/// take a fresh pooled buffer and hand the old one back when that write completes.
/// </summary>
internal sealed class TickPublisher(IMessageBus bus, TickSubjects subjects)
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(TickWire.MaxRecordBytes);
    private long _published;
    private long _dropped;
    private long _writesPending;

    /// <summary>Ticks handed to the bus.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Ticks not published: the bus was down (NATS core has no backlog to keep them in).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Publishes the client did not finish on the calling thread (its writer was busy): each held a buffer until written.</summary>
    public long WritesPending => Volatile.Read(ref _writesPending);

    public void Publish(in Tick tick)
    {
        var (subject, symbol) = subjects.Of(tick.SymbolId);
        if (subject is null)
        {
            Volatile.Write(ref _dropped, _dropped + 1);
            return;
        }
        int n = TickWire.Write(_buffer, in tick, symbol);
        if (bus.TryPublish(subject, _buffer.AsMemory(0, n), out var written))
        {
            if (!written.IsCompletedSuccessfully) KeepUntilWritten(written);
            Volatile.Write(ref _published, _published + 1);
        }
        else Volatile.Write(ref _dropped, _dropped + 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void KeepUntilWritten(ValueTask written)
    {
        Volatile.Write(ref _writesPending, _writesPending + 1);
        var held = _buffer;
        _buffer = ArrayPool<byte>.Shared.Rent(TickWire.MaxRecordBytes);
        _ = ReturnWhenWrittenAsync(written, held);
    }

    private static async Task ReturnWhenWrittenAsync(ValueTask written, byte[] held)
    {
        try
        {
            await written.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a write that failed (connection lost) has nothing left to do with the buffer
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        ArrayPool<byte>.Shared.Return(held);
    }
}

/// <summary>
/// Each symbol id's subject (<c>streamer.ticks.&lt;its underlying's token&gt;</c>) and UTF-8 name, built once
/// (cold, under a lock) when a symbol is first published and read lock-free after (one reference per id:
/// a reader sees a whole entry or none).
/// </summary>
internal sealed class TickSubjects(SymbolTable symbols)
{
    private Entry?[] _byId = new Entry?[64];
    private readonly Lock _gate = new();

    private sealed record Entry(string Subject, byte[] Symbol);

    public (string? Subject, byte[] Symbol) Of(int symbolId)
    {
        var table = _byId;
        if ((uint)symbolId < (uint)table.Length && table[symbolId] is { } e) return (e.Subject, e.Symbol);
        return Resolve(symbolId);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (string? Subject, byte[] Symbol) Resolve(int symbolId)
    {
        if (symbolId <= 0 || symbolId > symbols.Count) return (null, []);
        var entry = new Entry(NatsSubjects.Ticks(symbols[symbols.UnderlyingOf(symbolId)]), symbols.Utf8(symbolId).ToArray());
        lock (_gate)
        {
            var table = _byId;
            if (symbolId >= table.Length) Array.Resize(ref table, Math.Max(symbolId + 1, table.Length * 2));
            table[symbolId] = entry;
            _byId = table;
        }
        return (entry.Subject, entry.Symbol);
    }
}
