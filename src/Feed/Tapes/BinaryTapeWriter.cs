using System.Buffers.Binary;
using System.Text;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tapes;

/// <summary>Writes a binary tape (<see cref="BinaryTape"/>): each symbol defined at its first tick. The caller keeps ticks in time order.</summary>
public sealed class BinaryTapeWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Dictionary<string, uint> _indexOf = new(StringComparer.Ordinal);
    private readonly byte[] _record = new byte[Math.Max(BinaryTape.TickRecordBytes, 3 + BinaryTape.MaxSymbolBytes)];

    public BinaryTapeWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _stream.Write(BinaryTape.Magic);
    }

    public long Ticks { get; private set; }

    public void Write(in Tick tick, string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (!_indexOf.TryGetValue(symbol, out uint index))
        {
            int n = Encoding.UTF8.GetBytes(symbol, _record.AsSpan(3));
            if (n is 0 or > BinaryTape.MaxSymbolBytes) throw new ArgumentException($"symbol '{symbol}' is {n} bytes (1 to {BinaryTape.MaxSymbolBytes})", nameof(symbol));
            _record[0] = BinaryTape.SymbolTag;
            BinaryPrimitives.WriteUInt16LittleEndian(_record.AsSpan(1), (ushort)n);
            _stream.Write(_record, 0, 3 + n);
            index = (uint)_indexOf.Count;
            _indexOf.Add(symbol, index);
        }
        var r = _record.AsSpan(0, BinaryTape.TickRecordBytes);
        r[0] = BinaryTape.TickTag;
        BinaryPrimitives.WriteInt64LittleEndian(r[1..], tick.TimeNs);
        BinaryPrimitives.WriteUInt32LittleEndian(r[9..], index);
        r[13] = (byte)tick.Fields;
        BinaryPrimitives.WriteDoubleLittleEndian(r[14..], tick.HasQuote ? tick.Bid : double.NaN);
        BinaryPrimitives.WriteDoubleLittleEndian(r[22..], tick.HasQuote ? tick.Ask : double.NaN);
        BinaryPrimitives.WriteDoubleLittleEndian(r[30..], tick.HasTrade ? tick.Last : double.NaN);
        _stream.Write(r);
        Ticks++;
    }

    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }
}
