using System.Diagnostics.CodeAnalysis;

namespace Streamer.Rules.Books;

/// <summary>
/// The rule books the engine knows, plus pricing inputs per underlying. The built-ins
/// (day_trade, primary, income_pop) are always there; a books file adds books and replaces a
/// built-in of the same name. File shape (formats.md, plus an optional <c>pricing</c> section):
/// <code>
/// books: { name: { mark: mid, stale_after: 30s, rules: { rule: { param: value } } } }
/// pricing: { rate: 0.04, dividend: 0.0, underlyings: { SPY: { rate: 0.043, dividend: 0.012 },
///            AAPL: { style: american, dividends: [{ ex_date: 2026-02-09, amount: 0.26 }] }, SPX: { style: european } } }
/// </code>
/// </summary>
public sealed class BookSet
{
    private readonly Dictionary<string, RuleBook> _books = new(StringComparer.Ordinal);

    public PricingParameters Pricing { get; } = new();

    public IReadOnlyCollection<string> Names => _books.Keys;

    private static readonly Lazy<BookSet> BuiltInSet = new(() =>
    {
        var set = new BookSet();
        set.Load(BuiltInBooks.Yaml, "built-in books");
        return set;
    });

    /// <summary>day_trade, primary and income_pop with the engine's defaults.</summary>
    public static BookSet BuiltIn => BuiltInSet.Value.Clone();

    /// <summary>The built-ins overlaid with a books file (YAML or JSON). Throws <see cref="ConfigException"/> naming what is wrong.</summary>
    public static BookSet Parse(string text, string source = "books")
    {
        var set = BuiltIn;
        set.Load(text, source);
        return set;
    }

    public bool TryGet(string name, [NotNullWhen(true)] out RuleBook? book) => _books.TryGetValue(name, out book);

    /// <summary>The book, or a <see cref="ConfigException"/> listing the known ones.</summary>
    public RuleBook Get(string name) => _books.TryGetValue(name, out var book)
        ? book
        : throw new ConfigException($"unknown book '{name}' (known: {string.Join(", ", _books.Keys.Order(StringComparer.Ordinal))})");

    /// <summary>A copy whose every book has the parameters <paramref name="change"/> gives it (a sweep's variant); pricing as here.</summary>
    public BookSet WithParameters(Func<RuleBook, BookParameters> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var copy = Clone();
        foreach (var (name, book) in _books) copy._books[name] = new RuleBook(name, change(book));
        return copy;
    }

    private BookSet Clone()
    {
        var copy = new BookSet();
        foreach (var (k, v) in _books) copy._books[k] = v;
        Pricing.CopyTo(copy.Pricing);
        return copy;
    }

    private void Load(string text, string source)
    {
        var root = ConfigReader.Read(text, source);
        BookCompiler.ExpectMap(root, source, "(document)");
        var books = root.Get("books") ?? throw new ConfigException($"{source}: line {root.Line}: missing 'books'");
        foreach (var e in root.Entries)
        {
            if (e.Key is not ("books" or "pricing"))
                throw BookCompiler.Error(source, e.Line, e.Key, "unknown top-level key (expected books, pricing)");
        }
        BookCompiler.ExpectMap(books, source, "books");
        foreach (var b in books.Entries)
        {
            var p = BookParameters.Defaults;
            BookCompiler.ApplyBook(ref p, b.Value, source, $"books.{b.Key}");
            _books[b.Key] = new RuleBook(b.Key, p);
        }
        if (root.Get("pricing") is { } pricing) LoadPricing(pricing, source);
    }

    private void LoadPricing(ConfigNode pricing, string source)
    {
        BookCompiler.ExpectMap(pricing, source, "pricing");
        foreach (var e in pricing.Entries)
        {
            switch (e.Key)
            {
                case "rate": Pricing.Rate = Rate(e.Value, source, "pricing.rate"); break;
                case "dividend": Pricing.Dividend = Rate(e.Value, source, "pricing.dividend"); break;
                case "style": Pricing.DefaultStyle = Style(e.Value, source, "pricing.style"); break;
                case "underlyings":
                    BookCompiler.ExpectMap(e.Value, source, "pricing.underlyings");
                    foreach (var u in e.Value.Entries)
                    {
                        string at = $"pricing.underlyings.{u.Key}";
                        BookCompiler.ExpectMap(u.Value, source, at);
                        double rate = Pricing.Rate, dividend = Pricing.Dividend;
                        ExerciseStyle? style = null;
                        var dividends = new List<ScheduledDividend>();
                        foreach (var f in u.Value.Entries)
                        {
                            switch (f.Key)
                            {
                                case "rate": rate = Rate(f.Value, source, $"{at}.rate"); break;
                                case "dividend": dividend = Rate(f.Value, source, $"{at}.dividend"); break;
                                case "style": style = Style(f.Value, source, $"{at}.style"); break;
                                case "dividends": ReadDividends(f.Value, source, $"{at}.dividends", dividends); break;
                                default: throw BookCompiler.Error(source, f.Line, $"{at}.{f.Key}", "unknown key (expected rate, dividend, style, dividends)");
                            }
                        }
                        Pricing.Set(u.Key, rate, dividend, style, dividends);
                    }
                    break;
                default:
                    throw BookCompiler.Error(source, e.Line, $"pricing.{e.Key}", "unknown key (expected rate, dividend, style, underlyings)");
            }
        }
    }

    private static ExerciseStyle Style(ConfigNode v, string source, string at) =>
        v.Kind == ConfigKind.Scalar && ExerciseStyles.TryParse(v.Text, out var style)
            ? style
            : throw BookCompiler.Error(source, v.Line, at, $"unknown style '{v.Text}' (expected american, european)");

    /// <summary><c>[{ ex_date: YYYY-MM-DD, amount: 0.26 }, …]</c>: a real date, a cash amount ≥ 0 per share, each ex-date once.</summary>
    private static void ReadDividends(ConfigNode v, string source, string at, List<ScheduledDividend> into)
    {
        if (v.Kind != ConfigKind.Seq)
            throw BookCompiler.Error(source, v.Line, at, $"expected a list such as [{{ ex_date: 2026-02-09, amount: 0.26 }}], got {v.KindName}");
        for (int i = 0; i < v.Items.Count; i++)
        {
            var item = v.Items[i];
            string here = $"{at}[{i}]";
            BookCompiler.ExpectMap(item, source, here);
            DateOnly? exDate = null;
            double amount = double.NaN;
            foreach (var e in item.Entries)
            {
                switch (e.Key)
                {
                    case "ex_date":
                        exDate = e.Value.Kind == ConfigKind.Scalar && DateOnly.TryParseExact(e.Value.Text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d)
                            ? d
                            : throw BookCompiler.Error(source, e.Value.Line, $"{here}.ex_date", $"expected a date YYYY-MM-DD, got '{e.Value.Text}'");
                        break;
                    case "amount":
                        amount = e.Value.TryNumber(out double a) && a >= 0
                            ? a
                            : throw BookCompiler.Error(source, e.Value.Line, $"{here}.amount", $"expected a cash amount per share ≥ 0 such as 0.26, got '{e.Value.Text}'");
                        break;
                    default:
                        throw BookCompiler.Error(source, e.Line, $"{here}.{e.Key}", "unknown key (expected ex_date, amount)");
                }
            }
            if (exDate is null) throw BookCompiler.Error(source, item.Line, here, "missing ex_date");
            if (double.IsNaN(amount)) throw BookCompiler.Error(source, item.Line, here, "missing amount");
            foreach (var earlier in into)
            {
                if (earlier.ExDate == exDate) throw BookCompiler.Error(source, item.Line, $"{here}.ex_date", $"{exDate:yyyy-MM-dd} is listed twice");
            }
            into.Add(new ScheduledDividend(exDate.Value, amount));
        }
    }

    private static double Rate(ConfigNode v, string source, string at) =>
        v.TryNumber(out double d) && d > -1 && d < 1 ? d : throw BookCompiler.Error(source, v.Line, at, $"expected a yearly rate such as 0.04, got '{v.Text}'");
}
