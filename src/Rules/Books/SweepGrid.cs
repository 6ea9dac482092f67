using System.Globalization;

namespace Streamer.Rules.Books;

/// <summary>
/// A parameter grid for <c>streamer sweep</c> (YAML or JSON): each key names a book parameter,
/// <c>rule.parameter</c> (every book that runs the rule) or <c>book.rule.parameter</c> (that book
/// alone), with the list of values to try:
/// <code>
/// trailing_stop.trail_pct: [0.10, 0.15, 0.20, 0.25]
/// day_trade.trailing_stop.activate_gain_pct: [0.1, 0.2, 0.3]
/// </code>
/// The variants are every combination, in the file's key order, the last key varying fastest
/// (so the same grid always numbers them the same). Each value is checked as the books compiler
/// checks it, for every book it applies to, before anything runs.
/// </summary>
public sealed class SweepGrid
{
    /// <summary>more than this is refused: a grid is for comparing, not for fitting noise.</summary>
    public const int MaxVariants = 10_000;

    private readonly List<Axis> _axes;

    private SweepGrid(List<Axis> axes) => _axes = axes;

    private sealed record Axis(string Key, string? Book, string Rule, string Parameter, IReadOnlyList<ConfigNode> Values);

    /// <summary>The keys, in order.</summary>
    public IReadOnlyList<string> Keys => [.. _axes.Select(a => a.Key)];

    public int VariantCount => _axes.Aggregate(1, (n, a) => n * a.Values.Count);

    public static SweepGrid Parse(string text, BookSet books, string source = "grid")
    {
        ArgumentNullException.ThrowIfNull(books);
        var root = ConfigReader.Read(text, source);
        BookCompiler.ExpectMap(root, source, "(document)");
        if (root.Entries.Count == 0) throw new ConfigException($"{source}: the grid names no parameter");
        var axes = new List<Axis>();
        long variants = 1;
        foreach (var e in root.Entries)
        {
            var parts = e.Key.Split('.');
            if (parts.Length is not (2 or 3))
                throw BookCompiler.Error(source, e.Line, e.Key, "expected rule.parameter or book.rule.parameter (e.g. trailing_stop.trail_pct)");
            string? book = parts.Length == 3 ? parts[0] : null;
            string rule = parts[^2], parameter = parts[^1];
            if (!RuleNames.TryParse(rule, out _))
                throw BookCompiler.Error(source, e.Line, e.Key, $"unknown rule '{rule}' (known: {string.Join(", ", RuleNames.All)})");
            if (book is not null && !books.TryGet(book, out _))
                throw BookCompiler.Error(source, e.Line, e.Key, $"unknown book '{book}' (known: {string.Join(", ", books.Names.Order(StringComparer.Ordinal))})");
            if (e.Value.Kind != ConfigKind.Seq || e.Value.Items.Count == 0)
                throw BookCompiler.Error(source, e.Value.Line, e.Key, "expected a non-empty list of values");
            var axis = new Axis(e.Key, book, rule, parameter, e.Value.Items);
            var targets = Targets(axis, books).ToList();
            if (targets.Count == 0)
                throw BookCompiler.Error(source, e.Line, e.Key, $"no book runs {rule}{(book is null ? "" : $" ('{book}' does not)")}: the values would change nothing");
            // each value through the compiler, as an override of every book it applies to: a bad one is named now
            foreach (var v in axis.Values)
                foreach (var target in targets)
                {
                    var p = target.Parameters;
                    BookCompiler.ApplyOverrides(ref p, Override(axis, v), source, $"{e.Key}");
                }
            variants *= axis.Values.Count;
            if (variants > MaxVariants) throw new ConfigException($"{source}: the grid makes more than {MaxVariants:N0} variants");
            axes.Add(axis);
        }
        return new SweepGrid(axes);
    }

    /// <summary>Variant <paramref name="index"/>'s values, one per key ("0.15"), as the grid wrote them.</summary>
    public IReadOnlyList<string> ValuesOf(int index)
    {
        var values = new string[_axes.Count];
        for (int a = _axes.Count - 1; a >= 0; a--)
        {
            int n = _axes[a].Values.Count;
            values[a] = _axes[a].Values[index % n].Text;
            index /= n;
        }
        return values;
    }

    /// <summary>The books of variant <paramref name="index"/>: <paramref name="books"/> with that variant's values applied.</summary>
    public BookSet BooksOf(int index, BookSet books)
    {
        ArgumentNullException.ThrowIfNull(books);
        var chosen = Chosen(index);
        return books.WithParameters(book =>
        {
            var p = book.Parameters;
            for (int a = 0; a < _axes.Count; a++)
                if (Applies(_axes[a], book)) BookCompiler.ApplyOverrides(ref p, Override(_axes[a], chosen[a]), "grid", _axes[a].Key);
            return p;
        });
    }

    /// <summary>
    /// The positions of variant <paramref name="index"/>: a position whose own <c>overrides</c> set a
    /// swept parameter gets the variant's value instead (the sweep asks "what if it were this"); every
    /// other override it has stands. Positions the grid does not touch are returned as they are.
    /// </summary>
    public IReadOnlyList<Positions.PositionSpec> PositionsOf(int index, IReadOnlyList<Positions.PositionSpec> positions, BookSet books)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(books);
        var chosen = Chosen(index);
        var result = new Positions.PositionSpec[positions.Count];
        for (int i = 0; i < positions.Count; i++)
        {
            var p = positions[i];
            if (p.Overrides is not { Kind: ConfigKind.Map } own || !books.TryGet(p.Book, out var book)) { result[i] = p; continue; }
            var merged = ConfigNode.Map(own.Line);
            merged.Entries.AddRange(own.Entries);
            bool touched = false;
            for (int a = 0; a < _axes.Count; a++)
            {
                // only a parameter the position set itself: the book's value (the variant's) reaches the rest already
                if (!Applies(_axes[a], book) || own.Get(_axes[a].Rule) is not { Kind: ConfigKind.Map } rule || rule.Get(_axes[a].Parameter) is null) continue;
                merged.Entries.AddRange(Override(_axes[a], chosen[a]).Entries); // after its own: applied last, it wins
                touched = true;
            }
            result[i] = touched ? p with { Overrides = merged } : p;
        }
        return result;
    }

    private ConfigNode[] Chosen(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, VariantCount);
        var chosen = new ConfigNode[_axes.Count];
        for (int a = _axes.Count - 1; a >= 0; a--)
        {
            int n = _axes[a].Values.Count;
            chosen[a] = _axes[a].Values[index % n];
            index /= n;
        }
        return chosen;
    }

    private static IEnumerable<RuleBook> Targets(Axis axis, BookSet books) =>
        books.Names.Order(StringComparer.Ordinal).Select(books.Get).Where(b => Applies(axis, b));

    private static bool Applies(Axis axis, RuleBook book) =>
        (axis.Book is null || axis.Book == book.Name) && RuleNames.TryParse(axis.Rule, out var rule) && book.Has(rule);

    /// <summary><c>{ rule: { parameter: value } }</c>, the shape of a position's overrides.</summary>
    private static ConfigNode Override(Axis axis, ConfigNode value)
    {
        var parameters = ConfigNode.Map(value.Line);
        parameters.Entries.Add(new ConfigEntry(axis.Parameter, value.Line, value));
        var rules = ConfigNode.Map(value.Line);
        rules.Entries.Add(new ConfigEntry(axis.Rule, value.Line, parameters));
        return rules;
    }

    public override string ToString() => string.Join(", ", _axes.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Key} × {a.Values.Count}")));
}
