using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tapes;

/// <summary>
/// Streams a tick tape (CSV or JSONL, formats.md) into <see cref="Tick"/> structs through one
/// pooled buffer: no allocation per row once the tape's symbols are interned. Lines may span
/// buffer refills; a line longer than the buffer grows it (up to 1 MiB).
/// Every malformed row throws <see cref="TapeFormatException"/> naming file, line and field.
/// Quotes are passed on as they are, crossed or zero too: the engine's sanity filter counts them.
/// </summary>
public sealed partial class TapeReader : IDisposable
{
    internal const int DefaultBufferSize = 1 << 16;
    internal const int MaxLineLength = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly SymbolTable _symbols;
    private byte[] _buffer;
    private int _start;          // unread bytes are _buffer[_start.._end)
    private int _end;
    private bool _eof;
    private bool _disposed;
    private long _previousTimeNs = long.MinValue;
    private TimeParser _timeParser;

    /// <summary>The file (or name) the tape came from, as errors print it.</summary>
    public string Path { get; }

    /// <summary>1-based line of the row last read (the line at fault when a read throws).</summary>
    public long LineNumber { get; private set; }

    public TapeFormat Format { get; }

    /// <summary>Ticks returned so far.</summary>
    public long TickCount { get; private set; }

    internal TapeReader(Stream stream, string path, SymbolTable symbols, TapeFormat? format, bool ownsStream, int bufferSize = DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(symbols);
        _stream = stream;
        _ownsStream = ownsStream;
        _symbols = symbols;
        Path = path;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, bufferSize));
        SkipByteOrderMark();
        Format = format ?? Sniff();
    }

    /// <summary>Opens a tape file; the format comes from the extension (.csv, .jsonl, .ndjson, .json) or else the first byte.</summary>
    public static TapeReader Open(string path, SymbolTable symbols)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        try
        {
            return new TapeReader(stream, path, symbols, FormatFromExtension(path), ownsStream: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a tape from any stream (memory, network); <paramref name="name"/> is what errors print.</summary>
    public static TapeReader Create(Stream stream, string name, SymbolTable symbols, TapeFormat? format = null, bool leaveOpen = false) =>
        new(stream, name, symbols, format, ownsStream: !leaveOpen);

    public static TapeFormat? FormatFromExtension(string path) =>
        System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => TapeFormat.Csv,
            ".jsonl" or ".ndjson" or ".json" => TapeFormat.Jsonl,
            BinaryTape.Extension => TapeFormat.Binary,
            _ => null,
        };

    /// <summary>Next tick in file order; false at the end of the tape.</summary>
    public bool TryRead(out Tick tick)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Format == TapeFormat.Binary)
        {
            if (!TryReadBinary(out tick)) return false;
            TickCount++;
            return true;
        }
        while (TryReadLine(out var line))
        {
            if (IsBlank(line)) continue;
            bool got = Format == TapeFormat.Csv ? TryParseCsvLine(line, out tick) : TryParseJsonLine(line, out tick);
            if (!got) continue;
            TickCount++;
            return true;
        }
        if (Format == TapeFormat.Csv && !_headerSeen)
        {
            LineNumber = Math.Max(LineNumber, 1); // an empty file: point at its first line
            ThrowLine("missing header: the tape is empty, expected 'time,symbol,bid,ask,last'");
        }
        tick = default;
        return false;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsStream) _stream.Dispose();
        var buffer = _buffer;
        _buffer = [];
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var unread = _buffer.AsSpan(_start, _end - _start);
            int newline = unread.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _start += newline + 1;
                line = TrimCarriageReturn(unread[..newline]);
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (unread.IsEmpty) { line = default; return false; }
                _start = _end;
                line = TrimCarriageReturn(unread);
                LineNumber++;
                return true;
            }
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Grow();
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        if (_buffer.Length >= MaxLineLength)
            throw new TapeFormatException(Path, LineNumber + 1, null, $"{Path}:{LineNumber + 1}: line is longer than {MaxLineLength} bytes");
        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    private void SkipByteOrderMark()
    {
        while (_end < 3 && !_eof) Fill();
        if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8)) _start = 3;
    }

    private TapeFormat Sniff()
    {
        while (_end - _start < BinaryTape.Magic.Length && !_eof) Fill();
        if (_buffer.AsSpan(_start, _end - _start).StartsWith(BinaryTape.Magic)) return TapeFormat.Binary;
        while (true)
        {
            foreach (byte b in _buffer.AsSpan(_start, _end - _start))
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
                return b == (byte)'{' ? TapeFormat.Jsonl : TapeFormat.Csv;
            }
            if (_eof) return TapeFormat.Csv;
            Fill();
        }
    }

    private static ReadOnlySpan<byte> TrimCarriageReturn(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == (byte)'\r' ? line[..^1] : line;

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (byte b in line)
            if (b is not ((byte)' ' or (byte)'\t')) return false;
        return true;
    }

    private static ReadOnlySpan<byte> TrimSpaces(ReadOnlySpan<byte> s)
    {
        int a = 0, b = s.Length;
        while (a < b && s[a] == (byte)' ') a++;
        while (b > a && s[b - 1] == (byte)' ') b--;
        return s[a..b];
    }

    /// <summary>Interns a symbol seen for the first time, after checking it is a ticker or an OCC option symbol (cold).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int InternNewSymbol(ReadOnlySpan<byte> utf8, string field)
    {
        if (utf8.IsEmpty) ThrowField(field, "symbol is empty");
        string text = Encoding.UTF8.GetString(utf8);
        if (text.Length >= 16 || OccSymbol.LooksLikeOption(text))
        {
            if (!OccSymbol.TryParse(text, out _, out string error)) ThrowField(field, error);
        }
        else
        {
            foreach (char c in text)
            {
                if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c is not ('.' or '/' or '-'))
                    ThrowField(field, $"'{Shorten(text)}' is neither a ticker (A-Z, 0-9, '.', '/', '-') nor an OCC option symbol");
            }
        }
        try
        {
            return _symbols.Intern(text);
        }
        catch (FormatException e)
        {
            ThrowField(field, e.Message);
            return 0;
        }
    }

    private void CheckTimeOrder(long timeNs, string field)
    {
        if (timeNs < _previousTimeNs) ThrowBackwards(timeNs, field);
        _previousTimeNs = timeNs;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBackwards(long timeNs, string field) =>
        ThrowField(field, $"{NanoTime.FormatRfc3339(timeNs)} is earlier than the previous row's {NanoTime.FormatRfc3339(_previousTimeNs)} (rows must be in time order)");

    private string FieldKind => Format == TapeFormat.Csv ? "column" : "field";

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowField(string field, string detail) =>
        throw new TapeFormatException(Path, LineNumber, field, $"{Path}:{LineNumber}: {FieldKind} '{field}': {detail}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowLine(string detail) =>
        throw new TapeFormatException(Path, LineNumber, null, $"{Path}:{LineNumber}: {detail}");

    /// <summary>Quotes a cell for an error message: printable ASCII, at most 40 characters.</summary>
    private static string Shorten(ReadOnlySpan<byte> cell)
    {
        var sb = new StringBuilder(Math.Min(cell.Length, 44));
        foreach (byte b in cell[..Math.Min(cell.Length, 40)]) sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        if (cell.Length > 40) sb.Append('…');
        return sb.ToString();
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
