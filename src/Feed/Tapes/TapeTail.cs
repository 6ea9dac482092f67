using Streamer.Rules.Time;

namespace Streamer.Feed.Tapes;

/// <summary>
/// Gets a CSV or JSONL tape ready to be continued: a last line cut short (the writer was killed in the
/// middle of a write) is cut off, and the time of the last whole row is returned, so whoever appends
/// keeps the tape in time order and can name the stretch it did not see.
/// </summary>
public static class TapeTail
{
    private const int Window = 64 * 1024;

    /// <summary>
    /// Leaves <paramref name="file"/> positioned at its end, after its last whole line. Returns the time
    /// of the last row, or null when the tape has no row yet (empty, or a CSV header only).
    /// </summary>
    /// <exception cref="InvalidDataException">the last row has no readable time: the file is not a tape of this format.</exception>
    public static long? PrepareAppend(FileStream file, TapeFormat format, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (format == TapeFormat.Binary) throw new ArgumentException("a binary tape cannot be continued", nameof(format));
        long length = file.Length;
        int take = (int)Math.Min(length, Window);
        var tail = new byte[take];
        file.Position = length - take;
        file.ReadExactly(tail);
        int lastNewline = Array.LastIndexOf(tail, (byte)'\n');
        if (lastNewline < take - 1)
        {
            // a line without its end: written by a process that died mid-row. What follows a newline is not a row yet.
            long keep = lastNewline < 0 ? (take == length ? 0 : throw new InvalidDataException($"{name}: its last {Window} bytes hold no whole line")) : length - take + lastNewline + 1;
            file.SetLength(keep);
            length = keep;
            if (lastNewline < 0) { file.Position = 0; return null; }
        }
        file.Position = length;
        // the last whole line: between the newline before it and its own
        int end = lastNewline;
        while (end > 0 && (tail[end - 1] == '\r')) end--;
        int start = end > 0 ? Array.LastIndexOf(tail, (byte)'\n', end - 1) + 1 : 0;
        var line = tail.AsSpan(start, end - start);
        if (line.IsEmpty) return null;
        return format == TapeFormat.Csv ? CsvTime(line, name) : JsonlTime(line, name);
    }

    /// <summary>
    /// The rows in the file's last 64 KiB (whole lines only), oldest first, as (symbol, time); with
    /// <paramref name="wholeFile"/> true when that is every row. A recorder continuing a tape uses it to
    /// find where each of its streams stopped, which can be before the file's very last row.
    /// </summary>
    public static List<(string Symbol, long TimeNs)> TailRows(FileStream file, TapeFormat format, out bool wholeFile)
    {
        ArgumentNullException.ThrowIfNull(file);
        long length = file.Length;
        int take = (int)Math.Min(length, Window);
        var tail = new byte[take];
        long position = file.Position;
        file.Position = length - take;
        file.ReadExactly(tail);
        file.Position = position;
        wholeFile = take == length;
        var rows = new List<(string, long)>();
        int start = 0;
        if (!wholeFile) start = Array.IndexOf(tail, (byte)'\n') + 1; // the first line may be cut by the window
        while (start < take)
        {
            int end = Array.IndexOf(tail, (byte)'\n', start);
            if (end < 0) break; // a line without its end is not a row
            var line = tail.AsSpan(start, end - start).TrimEnd((byte)'\r');
            start = end + 1;
            if (line.IsEmpty) continue;
            if (RowOf(line, format) is { } row) rows.Add(row);
        }
        return rows;
    }

    private static (string, long)? RowOf(ReadOnlySpan<byte> line, TapeFormat format)
    {
        if (format == TapeFormat.Csv)
        {
            int c1 = line.IndexOf((byte)',');
            if (c1 < 0) return null;
            var rest = line[(c1 + 1)..];
            int c2 = rest.IndexOf((byte)',');
            if (c2 < 0 || !NanoTime.TryParseRfc3339(line[..c1].Trim((byte)' '), out long ns)) return null;
            return (System.Text.Encoding.UTF8.GetString(rest[..c2].Trim((byte)' ')), ns);
        }
        int s = line.IndexOf("\"S\":\""u8), t = line.IndexOf("\"t\":\""u8);
        if (s < 0 || t < 0) return null;
        var sym = line[(s + 5)..];
        sym = sym[..Math.Max(0, sym.IndexOf((byte)'"'))];
        var time = line[(t + 5)..];
        int q = time.IndexOf((byte)'"');
        if (q <= 0 || !NanoTime.TryParseRfc3339(time[..q], out long tns)) return null;
        return (System.Text.Encoding.UTF8.GetString(sym), tns);
    }

    private static long? CsvTime(ReadOnlySpan<byte> line, string name)
    {
        int comma = line.IndexOf((byte)',');
        var cell = (comma < 0 ? line : line[..comma]).Trim((byte)' ');
        if (cell.SequenceEqual("time"u8)) return null; // the header: no row yet
        return NanoTime.TryParseRfc3339(cell, out long ns) ? ns : throw new InvalidDataException($"{name}: the last row's time is not RFC 3339: cannot continue this file as a CSV tape");
    }

    private static long JsonlTime(ReadOnlySpan<byte> line, string name)
    {
        int at = line.IndexOf("\"t\":\""u8);
        if (at >= 0)
        {
            var rest = line[(at + 5)..];
            int quote = rest.IndexOf((byte)'"');
            if (quote > 0 && NanoTime.TryParseRfc3339(rest[..quote], out long ns)) return ns;
        }
        throw new InvalidDataException($"{name}: the last line has no RFC 3339 \"t\": cannot continue this file as a JSONL tape");
    }
}
