using System.Globalization;
using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Tests.Pricing;

/// <summary>Reads the QuantLib reference CSVs in vectors/ (header comment lines start with '#').</summary>
internal sealed class Vectors
{
    private readonly Dictionary<string, int> _columns;
    private readonly string[] _cells;

    private Vectors(Dictionary<string, int> columns, string[] cells, int line)
    {
        _columns = columns;
        _cells = cells;
        Line = line;
    }

    public int Line { get; }

    public double this[string column] => double.Parse(_cells[_columns[column]], CultureInfo.InvariantCulture);

    public OptionRight Right => _cells[_columns["right"]] switch
    {
        "call" => OptionRight.Call,
        "put" => OptionRight.Put,
        var s => throw new InvalidDataException($"line {Line}: bad right '{s}'"),
    };

    public double Years => this["days"] / 365.0;

    /// <summary>The dividends column, "day@amount;…" (days from the evaluation date to the ex instant), as times in years.</summary>
    public CashDividend[] Dividends => _cells[_columns["dividends"]].Length == 0
        ? []
        : _cells[_columns["dividends"]].Split(';').Select(p =>
        {
            var parts = p.Split('@');
            return new CashDividend(double.Parse(parts[0], CultureInfo.InvariantCulture) / 365.0, double.Parse(parts[1], CultureInfo.InvariantCulture));
        }).ToArray();

    public override string ToString() => $"line {Line}: {string.Join(',', _cells)}";

    public static List<Vectors> Read(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "vectors", file);
        var rows = new List<Vectors>();
        Dictionary<string, int>? columns = null;
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0 || text[0] == '#') continue;
            var cells = text.Split(',');
            if (columns is null)
            {
                columns = cells.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
                continue;
            }
            rows.Add(new Vectors(columns, cells, line));
        }
        Assert.True(rows.Count > 100, $"{file}: only {rows.Count} vectors");
        return rows;
    }
}
