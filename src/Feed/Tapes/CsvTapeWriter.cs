using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tapes;

/// <summary>
/// Writes a CSV tick tape (formats.md: <c>time,symbol,bid,ask,last</c>) through one pooled buffer.
/// Prices given in cents are written exactly (<c>596.20</c>); doubles in shortest round-trip form.
/// The caller keeps rows in time order (the reader rejects a tape that goes backwards).
/// </summary>
public sealed class CsvTapeWriter : IDisposable
{
    private const int BufferSize = 1 << 16;
    private const int MaxRowLength = 256;
    private const int MaxSymbolLength = 64;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _used;

    public long RowCount { get; private set; }

    /// <param name="writeHeader">false to continue a tape that already has its header (a recorder appending to today's file).</param>
    public CsvTapeWriter(Stream stream, bool leaveOpen = false, bool writeHeader = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        if (writeHeader) Append("time,symbol,bid,ask,last\n"u8);
    }

    /// <summary>A quote row; prices in cents.</summary>
    public void WriteQuoteCents(long timeNs, ReadOnlySpan<byte> symbol, long bidCents, long askCents)
    {
        int n = BeginRow(timeNs, symbol);
        var row = Row;
        n += WriteCents(row[n..], bidCents);
        row[n++] = (byte)',';
        n += WriteCents(row[n..], askCents);
        row[n++] = (byte)',';
        EndRow(n);
    }

    /// <summary>A trade row; price in cents.</summary>
    public void WriteTradeCents(long timeNs, ReadOnlySpan<byte> symbol, long lastCents)
    {
        int n = BeginRow(timeNs, symbol);
        var row = Row;
        row[n++] = (byte)',';
        row[n++] = (byte)',';
        n += WriteCents(row[n..], lastCents);
        EndRow(n);
    }

    /// <summary>Any row: NaN leaves a cell empty.</summary>
    public void WriteRow(long timeNs, ReadOnlySpan<byte> symbol, double bid, double ask, double last)
    {
        int n = BeginRow(timeNs, symbol);
        var row = Row;
        n += WriteDouble(row[n..], bid);
        row[n++] = (byte)',';
        n += WriteDouble(row[n..], ask);
        row[n++] = (byte)',';
        n += WriteDouble(row[n..], last);
        EndRow(n);
    }

    public void Flush()
    {
        if (_used > 0) _stream.Write(_buffer, 0, _used);
        _used = 0;
        _stream.Flush();
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        if (!_leaveOpen) _stream.Dispose();
    }

    /// <summary>Writes "time,symbol," at the end of the buffer; returns its length. The row continues in <see cref="Row"/>.</summary>
    private int BeginRow(long timeNs, ReadOnlySpan<byte> symbol)
    {
        if (symbol.Length > MaxSymbolLength) ThrowSymbolTooLong();
        if (_buffer.Length - _used < MaxRowLength) Spill();
        var span = Row;
        int n = NanoTime.FormatRfc3339(timeNs, span);
        span[n++] = (byte)',';
        symbol.CopyTo(span[n..]);
        n += symbol.Length;
        span[n++] = (byte)',';
        return n;
    }

    private Span<byte> Row => _buffer.AsSpan(_used);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowSymbolTooLong() =>
        throw new ArgumentException($"symbol longer than {MaxSymbolLength} bytes", "symbol");

    private void EndRow(int length)
    {
        _buffer[_used + length] = (byte)'\n';
        _used += length + 1;
        RowCount++;
    }

    private void Spill()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.AsSpan(_used));
        _used += bytes.Length;
    }

    private static int WriteCents(Span<byte> dest, long cents)
    {
        int n = 0;
        if (cents < 0) { dest[n++] = (byte)'-'; cents = -cents; }
        long whole = cents / 100;
        int frac = (int)(cents % 100);
        whole.TryFormat(dest[n..], out int w, default, CultureInfo.InvariantCulture);
        n += w;
        dest[n++] = (byte)'.';
        dest[n++] = (byte)('0' + frac / 10);
        dest[n++] = (byte)('0' + frac % 10);
        return n;
    }

    private static int WriteDouble(Span<byte> dest, double value)
    {
        if (double.IsNaN(value)) return 0;
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "prices must be finite");
        value.TryFormat(dest, out int n, default, CultureInfo.InvariantCulture);
        return n;
    }
}
