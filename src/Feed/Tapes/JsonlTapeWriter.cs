using System.Globalization;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tapes;

/// <summary>
/// Writes a JSONL tick tape (formats.md): one Alpaca market-data message per line,
/// <c>{"T":"q","S":…,"bp":…,"ap":…,"t":…}</c> for a quote and <c>{"T":"t","S":…,"p":…,"t":…}</c> for a
/// trade, <c>t</c> as an RFC 3339 string. A tick that carries both becomes two lines at the same time,
/// quote first (the reader keeps equal times in file order). Through one pooled buffer, like
/// <see cref="CsvTapeWriter"/>; the caller keeps rows in time order.
/// </summary>
public sealed class JsonlTapeWriter : IDisposable
{
    private const int MaxLineLength = 320;
    private const int MaxSymbolLength = 64;

    private readonly PooledLineBuffer _lines;

    public JsonlTapeWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _lines = new PooledLineBuffer(stream, leaveOpen);
    }

    /// <summary>Lines written (a tick with a quote and a trade counts two).</summary>
    public long LineCount { get; private set; }

    public void WriteQuote(long timeNs, ReadOnlySpan<byte> symbol, double bid, double ask)
    {
        var line = Begin("{\"T\":\"q\",\"S\":\""u8, symbol);
        int n = line.Length;
        var span = Line;
        n += Copy(span[n..], "\",\"bp\":"u8);
        n += WriteDouble(span[n..], bid);
        n += Copy(span[n..], ",\"ap\":"u8);
        n += WriteDouble(span[n..], ask);
        End(span, n, timeNs);
    }

    public void WriteTrade(long timeNs, ReadOnlySpan<byte> symbol, double last)
    {
        var line = Begin("{\"T\":\"t\",\"S\":\""u8, symbol);
        int n = line.Length;
        var span = Line;
        n += Copy(span[n..], "\",\"p\":"u8);
        n += WriteDouble(span[n..], last);
        End(span, n, timeNs);
    }

    public void Flush() => _lines.Flush();

    public void Dispose() => _lines.Dispose();

    private Span<byte> Line => _lines.Room(MaxLineLength); // the line begun by Begin (room was made there: nothing spills)

    private ReadOnlySpan<byte> Begin(ReadOnlySpan<byte> head, ReadOnlySpan<byte> symbol)
    {
        // symbols are tickers and OCC symbols (checked printable where they are read): nothing to escape
        if (symbol.Length is 0 or > MaxSymbolLength || symbol.IndexOfAny("\"\\"u8) >= 0)
            throw new ArgumentException($"symbol must be 1-{MaxSymbolLength} bytes without quotes or backslashes", nameof(symbol));
        var span = _lines.Room(MaxLineLength);
        int n = Copy(span, head);
        n += Copy(span[n..], symbol);
        return span[..n];
    }

    private void End(Span<byte> span, int n, long timeNs)
    {
        n += Copy(span[n..], ",\"t\":\""u8);
        n += NanoTime.FormatRfc3339(timeNs, span[n..]);
        n += Copy(span[n..], "\"}\n"u8);
        _lines.Commit(n);
        LineCount++;
    }

    private static int Copy(Span<byte> dest, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(dest);
        return bytes.Length;
    }

    private static int WriteDouble(Span<byte> dest, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "prices must be finite");
        value.TryFormat(dest, out int n, default, CultureInfo.InvariantCulture);
        return n;
    }
}
