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
    private const int MaxRowLength = 256;
    private const int MaxSymbolLength = 64;

    private readonly PooledLineBuffer _lines;

    public long RowCount { get; private set; }

    /// <param name="writeHeader">false to continue a tape that already has its header (a recorder appending to today's file).</param>
    public CsvTapeWriter(Stream stream, bool leaveOpen = false, bool writeHeader = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _lines = new PooledLineBuffer(stream, leaveOpen);
        if (writeHeader) _lines.Append("time,symbol,bid,ask,last\n"u8);
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

    public void Flush() => _lines.Flush();

    public void Dispose() => _lines.Dispose();

    /// <summary>Writes "time,symbol," at the end of the buffer; returns its length. The row continues in <see cref="Row"/>.</summary>
    private int BeginRow(long timeNs, ReadOnlySpan<byte> symbol)
    {
        if (symbol.Length > MaxSymbolLength) ThrowSymbolTooLong();
        var span = _lines.Room(MaxRowLength);
        int n = NanoTime.FormatRfc3339(timeNs, span);
        span[n++] = (byte)',';
        symbol.CopyTo(span[n..]);
        n += symbol.Length;
        span[n++] = (byte)',';
        return n;
    }

    private Span<byte> Row => _lines.Room(MaxRowLength); // the row begun by BeginRow (room was made there: nothing spills)

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowSymbolTooLong() =>
        throw new ArgumentException($"symbol longer than {MaxSymbolLength} bytes", "symbol");

    private void EndRow(int length)
    {
        Row[length] = (byte)'\n';
        _lines.Commit(length + 1);
        RowCount++;
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
