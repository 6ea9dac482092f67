using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tapes;

/// <summary>
/// Writes ticks to a tape in any of the three formats, so a command that produces ticks (record, fetch)
/// does not care which one its user asked for. CSV and JSONL can continue a file (no second header);
/// a binary tape cannot (its symbol definitions live in the part already written), so it is only written whole.
/// </summary>
public sealed class TickTapeWriter : IDisposable
{
    private readonly CsvTapeWriter? _csv;
    private readonly JsonlTapeWriter? _jsonl;
    private readonly BinaryTapeWriter? _binary;
    private readonly SymbolTable _symbols;

    private TickTapeWriter(SymbolTable symbols, CsvTapeWriter? csv, JsonlTapeWriter? jsonl, BinaryTapeWriter? binary)
    {
        _symbols = symbols;
        _csv = csv;
        _jsonl = jsonl;
        _binary = binary;
    }

    public TapeFormat Format => _csv is not null ? TapeFormat.Csv : _jsonl is not null ? TapeFormat.Jsonl : TapeFormat.Binary;

    /// <summary>Ticks written.</summary>
    public long Ticks { get; private set; }

    /// <param name="append">the stream is positioned at the end of a tape of this format that has its header already.</param>
    public static TickTapeWriter Create(Stream stream, TapeFormat format, SymbolTable symbols, bool append = false, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(symbols);
        return format switch
        {
            TapeFormat.Csv => new(symbols, new CsvTapeWriter(stream, leaveOpen, writeHeader: !append), null, null),
            TapeFormat.Jsonl => new(symbols, null, new JsonlTapeWriter(stream, leaveOpen), null),
            TapeFormat.Binary when !append => new(symbols, null, null, new BinaryTapeWriter(stream, leaveOpen)),
            TapeFormat.Binary => throw new ArgumentException("a binary tape cannot be continued: write CSV or JSONL and convert it (streamer tape convert)", nameof(append)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
    }

    public void Write(in Tick tick)
    {
        if (_csv is not null)
        {
            _csv.WriteRow(tick.TimeNs, _symbols.Utf8(tick.SymbolId), tick.HasQuote ? tick.Bid : double.NaN, tick.HasQuote ? tick.Ask : double.NaN, tick.HasTrade ? tick.Last : double.NaN);
        }
        else if (_jsonl is not null)
        {
            var symbol = _symbols.Utf8(tick.SymbolId);
            if (tick.HasQuote) _jsonl.WriteQuote(tick.TimeNs, symbol, tick.Bid, tick.Ask);
            if (tick.HasTrade) _jsonl.WriteTrade(tick.TimeNs, symbol, tick.Last);
        }
        else
        {
            _binary!.Write(in tick, _symbols[tick.SymbolId]);
        }
        Ticks++;
    }

    /// <summary>Everything written so far reaches the operating system (a killed process loses none of it).</summary>
    public void Flush()
    {
        _csv?.Flush();
        _jsonl?.Flush();
        _binary?.Flush();
    }

    public void Dispose()
    {
        _csv?.Dispose();
        _jsonl?.Dispose();
        _binary?.Dispose();
    }
}
