using Streamer.Rules.Market;

namespace Streamer.Feed.Tapes;

/// <summary>CSV rows: <c>time,symbol,bid,ask,last</c>; the header may order the five columns freely.</summary>
public sealed partial class TapeReader
{
    private const int CsvColumns = 5;
    private static readonly string[] ColumnNames = ["time", "symbol", "bid", "ask", "last"];

    private bool _headerSeen;
    // _cellOf[role] = index of the cell holding time, symbol, bid, ask, last
    private readonly int[] _cellOf = [0, 1, 2, 3, 4];

    private bool TryParseCsvLine(ReadOnlySpan<byte> line, out Tick tick)
    {
        if (!_headerSeen)
        {
            ReadHeader(line);
            tick = default;
            return false;
        }

        Span<Range> cells = stackalloc Range[CsvColumns];
        int count = SplitCells(line, cells);
        if (count != CsvColumns) ThrowColumnCount(count);

        var timeCell = TrimSpaces(line[cells[_cellOf[0]]]);
        if (!_timeParser.TryParse(timeCell, out long timeNs))
            ThrowField("time", $"'{Shorten(timeCell)}' is not an RFC 3339 time of the years 1900-2200 (e.g. 2026-01-29T16:36:38.123456789Z)");
        CheckTimeOrder(timeNs, "time");

        var symbolCell = TrimSpaces(line[cells[_cellOf[1]]]);
        int symbolId = _symbols.Lookup(symbolCell);
        if (symbolId == 0) symbolId = InternNewSymbol(symbolCell, "symbol");

        bool hasBid = TryPrice(TrimSpaces(line[cells[_cellOf[2]]]), "bid", out double bid);
        bool hasAsk = TryPrice(TrimSpaces(line[cells[_cellOf[3]]]), "ask", out double ask);
        bool hasLast = TryPrice(TrimSpaces(line[cells[_cellOf[4]]]), "last", out double last);
        if (hasBid != hasAsk)
            ThrowField(hasBid ? "ask" : "bid", $"empty while '{(hasBid ? "bid" : "ask")}' is set: a quote needs both bid and ask");
        if (!hasBid && !hasLast) ThrowLine("row has neither a quote (bid and ask) nor a trade (last)");

        tick = new Tick
        {
            TimeNs = timeNs,
            SymbolId = symbolId,
            Fields = (hasBid ? TickFields.Quote : TickFields.None) | (hasLast ? TickFields.Trade : TickFields.None),
            Bid = hasBid ? bid : double.NaN,
            Ask = hasAsk ? ask : double.NaN,
            Last = hasLast ? last : double.NaN,
        };
        return true;
    }

    /// <summary>Splits on commas into at most <paramref name="cells"/>.Length ranges; returns the true cell count.</summary>
    private static int SplitCells(ReadOnlySpan<byte> line, Span<Range> cells)
    {
        int count = 0, from = 0;
        while (true)
        {
            int comma = line[from..].IndexOf((byte)',');
            int to = comma < 0 ? line.Length : from + comma;
            if (count < cells.Length) cells[count] = new Range(from, to);
            count++;
            if (comma < 0) return count;
            from = to + 1;
        }
    }

    /// <summary>false for an empty cell; throws for anything that is not a finite number.</summary>
    private bool TryPrice(ReadOnlySpan<byte> cell, string column, out double value)
    {
        if (cell.IsEmpty) { value = double.NaN; return false; }
        if (!PriceParser.TryParse(cell, out value))
            ThrowField(column, $"'{Shorten(cell)}' is not a number");
        return true;
    }

    private void ReadHeader(ReadOnlySpan<byte> line)
    {
        Span<Range> cells = stackalloc Range[CsvColumns];
        int count = SplitCells(line, cells);
        bool ok = count == CsvColumns;
        Span<bool> seen = stackalloc bool[CsvColumns];
        for (int cell = 0; ok && cell < CsvColumns; cell++)
        {
            var name = TrimSpaces(line[cells[cell]]);
            int role = RoleOf(name);
            if (role < 0 || seen[role]) { ok = false; break; }
            seen[role] = true;
            _cellOf[role] = cell;
        }
        if (!ok) ThrowLine($"missing header: expected 'time,symbol,bid,ask,last', got '{Shorten(line)}'");
        _headerSeen = true;
    }

    private static int RoleOf(ReadOnlySpan<byte> name)
    {
        for (int role = 0; role < ColumnNames.Length; role++)
            if (System.Text.Ascii.EqualsIgnoreCase(name, ColumnNames[role])) return role;
        return -1;
    }

    private void ThrowColumnCount(int count) =>
        ThrowLine($"expected {CsvColumns} columns (time,symbol,bid,ask,last), got {count}");
}
