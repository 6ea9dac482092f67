using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Streamer.Rules.Pricing;

namespace Streamer.Stream.Host.Greeks;

/// <summary>
/// The <c>greeks --jsonl</c> loop: one JSON object per input line, one per output line, same order.
/// A line that cannot be priced gets <c>{"error":"line N: …"}</c> and the run goes on.
/// </summary>
internal sealed class JsonlGreeks
{
    private const int MaxLine = 1 << 20;

    private readonly System.IO.Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private long _line;

    private JsonlGreeks(System.IO.Stream output)
    {
        _output = output;
        // relaxed escaping: quotes in error messages read as \" rather than \u0022 (stdout, not HTML)
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads <paramref name="input"/> to its end; returns the number of lines answered.</summary>
    public static long Run(System.IO.Stream input, System.IO.Stream output)
    {
        var loop = new JsonlGreeks(output);
        byte[] buf = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int filled = 0;
            bool skipping = false; // inside an over-long line, already answered
            while (true)
            {
                if (filled == buf.Length)
                {
                    if (buf.Length >= MaxLine)
                    {
                        if (!skipping) loop.LongLine();
                        skipping = true;
                        filled = 0;
                    }
                    else
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buf.Length * 2);
                        buf.AsSpan(0, filled).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buf);
                        buf = bigger;
                    }
                }
                int n = input.Read(buf, filled, buf.Length - filled);
                if (n == 0) break;
                int start = 0, scanFrom = filled;
                filled += n;
                int nl;
                while ((nl = buf.AsSpan(scanFrom, filled - scanFrom).IndexOf((byte)'\n')) >= 0)
                {
                    int end = scanFrom + nl;
                    if (skipping) skipping = false;
                    else loop.Line(buf.AsSpan(start, end - start));
                    start = end + 1;
                    scanFrom = start;
                }
                if (start > 0)
                {
                    buf.AsSpan(start, filled - start).CopyTo(buf);
                    filled -= start;
                }
                loop.Flush();
            }
            if (filled > 0 && !skipping) loop.Line(buf.AsSpan(0, filled)); // last line without a newline
            loop.Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
        return loop._line;
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        _line++;
        if (line.Trim(" \t"u8).IsEmpty)
        {
            Error("empty line");
            return;
        }
        // System.Text.Json throws on bad UTF-8 only when a string is read: that line's own error, never the stream's end
        if (Streamer.Rules.Diagnostics.Utf8Text.Check(line) is { } utf8)
        {
            Error(utf8);
            return;
        }
        if (!GreeksRequest.TryParse(line, out var request, out string? error))
        {
            Error(error!);
            return;
        }
        if (!GreeksPricer.TryPrice(in request, out OptionGreeks g, out double iv, out error))
        {
            Error(error!);
            return;
        }
        _writer.WriteStartObject();
        _writer.WriteNumber("price"u8, g.Price);
        _writer.WriteNumber("delta"u8, g.Delta);
        _writer.WriteNumber("gamma"u8, g.Gamma);
        _writer.WriteNumber("vega"u8, g.Vega);
        _writer.WriteNumber("theta"u8, g.Theta);
        _writer.WriteNumber("rho"u8, g.Rho);
        _writer.WriteNumber("iv"u8, iv);
        _writer.WriteEndObject();
        EndLine();
    }

    private void LongLine()
    {
        _line++;
        Error("line longer than 1 MiB");
    }

    private void Error(string message)
    {
        _writer.WriteStartObject();
        _writer.WriteString("error"u8, $"line {_line}: {message}");
        _writer.WriteEndObject();
        EndLine();
    }

    private void EndLine()
    {
        _writer.Flush();
        _writer.Reset();
        _buffer.Write("\n"u8);
    }

    private void Flush()
    {
        if (_buffer.WrittenCount == 0) return;
        _output.Write(_buffer.WrittenSpan);
        _output.Flush();
        _buffer.ResetWrittenCount();
    }
}
