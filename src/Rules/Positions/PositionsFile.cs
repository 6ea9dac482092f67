using System.Globalization;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;

namespace Streamer.Rules.Positions;

/// <summary>
/// Parses the positions file (formats.md, JSON or YAML): <c>{ "positions": [ {...}, ... ] }</c>.
/// Every problem is a <see cref="ConfigException"/> naming the source, line, position (index and
/// id) and field: unknown field, missing legs, legs on different underlyings, bad symbol, zero qty...
/// </summary>
public static class PositionsFile
{
    private static readonly string[] PositionFields =
        ["id", "book", "opened_at", "underlying_entry", "stop_underlying", "target_underlying", "legs", "overrides", "underlying"];
    private static readonly string[] LegFields = ["symbol", "qty", "entry_price"];

    public static IReadOnlyList<PositionSpec> Parse(string text, string source = "positions")
    {
        var root = ConfigReader.Read(text, source);
        BookCompiler.ExpectMap(root, source, "(document)");
        foreach (var e in root.Entries)
        {
            if (e.Key != "positions") throw BookCompiler.Error(source, e.Line, e.Key, "unknown top-level key (expected positions)");
        }
        var list = root.Get("positions") ?? throw new ConfigException($"{source}: line {root.Line}: missing 'positions'");
        if (list.Kind == ConfigKind.Null) return [];
        if (list.Kind != ConfigKind.Seq) throw BookCompiler.Error(source, list.Line, "positions", $"expected a list, got {list.KindName}");
        var result = new List<PositionSpec>(list.Items.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < list.Items.Count; i++)
        {
            var spec = ParsePosition(list.Items[i], source, $"positions[{i}]");
            if (!ids.Add(spec.Id))
                throw BookCompiler.Error(source, list.Items[i].Line, $"positions[{i}] '{spec.Id}'", "duplicate position id");
            result.Add(spec);
        }
        return result;
    }

    /// <summary>One position object (a control request, an intake message).</summary>
    public static PositionSpec ParseOne(string text, string source = "position") =>
        ParsePosition(ConfigReader.Read(text, source), source, "position");

    private static PositionSpec ParsePosition(ConfigNode node, string source, string where)
    {
        BookCompiler.ExpectMap(node, source, where);
        // name the position by id as early as possible so every later error says which one
        var idNode = node.Get("id");
        if (idNode is null) throw BookCompiler.Error(source, node.Line, $"{where}.id", "missing");
        string id = Text(idNode, source, $"{where}.id");
        if (PositionIds.Check(id) is { } idError) throw BookCompiler.Error(source, idNode.Line, $"{where}.id", idError);
        string at = $"{where} '{id}'";
        foreach (var e in node.Entries)
        {
            if (Array.IndexOf(PositionFields, e.Key) < 0)
                throw BookCompiler.Error(source, e.Line, $"{at}.{e.Key}", $"unknown field (known: {string.Join(", ", PositionFields)})");
        }
        string book = node.Get("book") is { } b ? Text(b, source, $"{at}.book") : throw BookCompiler.Error(source, node.Line, $"{at}.book", "missing");
        long opened = long.MinValue;
        if (node.Get("opened_at") is { Kind: not ConfigKind.Null } o)
        {
            string s = Text(o, source, $"{at}.opened_at");
            if (!NanoTime.TryParseRfc3339(s.AsSpan(), out opened))
                throw BookCompiler.Error(source, o.Line, $"{at}.opened_at", $"'{s}' is not an RFC 3339 time (e.g. 2026-01-29T16:36:38Z)");
        }
        var legsNode = node.Get("legs");
        if (legsNode is null || legsNode.Kind == ConfigKind.Null) throw BookCompiler.Error(source, node.Line, $"{at}.legs", "missing: a position needs at least one leg");
        if (legsNode.Kind != ConfigKind.Seq) throw BookCompiler.Error(source, legsNode.Line, $"{at}.legs", $"expected a list, got {legsNode.KindName}");
        if (legsNode.Items.Count == 0) throw BookCompiler.Error(source, legsNode.Line, $"{at}.legs", "empty: a position needs at least one leg");
        var legs = new List<LegSpec>(legsNode.Items.Count);
        for (int i = 0; i < legsNode.Items.Count; i++) legs.Add(ParseLeg(legsNode.Items[i], source, $"{at}.legs[{i}]"));

        var spec = new PositionSpec
        {
            Id = id,
            Book = book,
            Legs = legs,
            OpenedAtNs = opened,
            UnderlyingEntry = OptionalPrice(node, "underlying_entry", source, at),
            StopUnderlying = OptionalPrice(node, "stop_underlying", source, at),
            TargetUnderlying = OptionalPrice(node, "target_underlying", source, at),
            Overrides = node.Get("overrides"),
            OverridesSource = source,
        };
        ValidateSpec(spec, at, source, node.Line);
        if (node.Get("underlying") is { } u && Text(u, source, $"{at}.underlying") != spec.Underlying)
            throw BookCompiler.Error(source, u.Line, $"{at}.underlying", $"'{u.Text}' does not match the legs' underlying '{spec.Underlying}'");
        if (spec.Overrides is { Kind: not ConfigKind.Null } ov)
        {
            // compile once against defaults now so a typo is reported with the file, not at add time
            var probe = BookParameters.Defaults;
            BookCompiler.ApplyOverrides(ref probe, ov, source, $"{at}.overrides");
        }
        return spec;
    }

    private static LegSpec ParseLeg(ConfigNode node, string source, string at)
    {
        BookCompiler.ExpectMap(node, source, at);
        foreach (var e in node.Entries)
        {
            if (Array.IndexOf(LegFields, e.Key) < 0)
                throw BookCompiler.Error(source, e.Line, $"{at}.{e.Key}", "unknown field (known: symbol, qty, entry_price)");
        }
        string symbol = node.Get("symbol") is { } s ? Text(s, source, $"{at}.symbol") : throw BookCompiler.Error(source, node.Line, $"{at}.symbol", "missing");
        var qtyNode = node.Get("qty") ?? throw BookCompiler.Error(source, node.Line, $"{at}.qty", "missing");
        if (!qtyNode.TryNumber(out double q) || q != Math.Floor(q) || Math.Abs(q) > 1e9)
            throw BookCompiler.Error(source, qtyNode.Line, $"{at}.qty", $"expected a whole number of contracts (shares for stock), got '{qtyNode.Text}'");
        if (q == 0) throw BookCompiler.Error(source, qtyNode.Line, $"{at}.qty", "must not be zero (+ long, − short)");
        var priceNode = node.Get("entry_price") ?? throw BookCompiler.Error(source, node.Line, $"{at}.entry_price", "missing");
        if (!priceNode.TryNumber(out double price) || price < 0)
            throw BookCompiler.Error(source, priceNode.Line, $"{at}.entry_price", $"expected a price ≥ 0, got '{priceNode.Text}'");
        if (!OccSymbol.LooksLikeOption(symbol) && !LegSymbols.IsTicker(symbol))
            throw BookCompiler.Error(source, node.Get("symbol")!.Line, $"{at}.symbol", $"'{symbol}' is neither an OCC option symbol (e.g. META260220C00720000) nor a stock ticker");
        if (OccSymbol.LooksLikeOption(symbol) && !OccSymbol.TryParse(symbol, out _, out string error))
            throw BookCompiler.Error(source, node.Get("symbol")!.Line, $"{at}.symbol", error);
        return new LegSpec(symbol, (long)q, price);
    }

    internal static void ValidateSpec(PositionSpec spec, string at, string source = "position", int line = 0)
    {
        if (string.IsNullOrEmpty(spec.Id)) throw new ConfigException($"{source}: {at}: id must not be empty");
        if (string.IsNullOrEmpty(spec.Book)) throw BookCompiler.Error(source, line, $"{at}.book", "must not be empty");
        if (spec.Legs is null || spec.Legs.Count == 0) throw BookCompiler.Error(source, line, $"{at}.legs", "a position needs at least one leg");
        string underlying = LegSymbols.UnderlyingOf(spec.Legs[0].Symbol);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < spec.Legs.Count; i++)
        {
            var leg = spec.Legs[i];
            if (leg.Qty == 0) throw BookCompiler.Error(source, line, $"{at}.legs[{i}].qty", "must not be zero");
            if (!(leg.EntryPrice >= 0) || !double.IsFinite(leg.EntryPrice)) throw BookCompiler.Error(source, line, $"{at}.legs[{i}].entry_price", "must be a price ≥ 0");
            bool option = OccSymbol.LooksLikeOption(leg.Symbol);
            if (option ? !OccSymbol.TryParse(leg.Symbol, out _, out _) : !LegSymbols.IsTicker(leg.Symbol))
                throw BookCompiler.Error(source, line, $"{at}.legs[{i}].symbol", $"'{leg.Symbol}' is neither an OCC option symbol nor a stock ticker");
            string u = LegSymbols.UnderlyingOf(leg.Symbol);
            if (u != underlying)
                throw BookCompiler.Error(source, line, $"{at}.legs[{i}].symbol", $"'{leg.Symbol}' is on {u}, but legs[0] is on {underlying}: all legs must be on one underlying");
            if (!seen.Add(leg.Symbol))
                throw BookCompiler.Error(source, line, $"{at}.legs[{i}].symbol", $"'{leg.Symbol}' appears twice: give each symbol once with its net qty");
        }
        foreach (var (name, value) in new[] { ("underlying_entry", spec.UnderlyingEntry), ("stop_underlying", spec.StopUnderlying), ("target_underlying", spec.TargetUnderlying) })
        {
            if (!double.IsNaN(value) && !(value > 0 && double.IsFinite(value)))
                throw BookCompiler.Error(source, line, $"{at}.{name}", $"must be a positive price, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static double OptionalPrice(ConfigNode node, string field, string source, string at)
    {
        var v = node.Get(field);
        if (v is null || v.Kind == ConfigKind.Null) return double.NaN;
        if (!v.TryNumber(out double d) || !(d > 0))
            throw BookCompiler.Error(source, v.Line, $"{at}.{field}", $"expected a positive price, got '{v.Text}'");
        return d;
    }

    private static string Text(ConfigNode v, string source, string at) =>
        v.Kind == ConfigKind.Scalar ? v.Text : throw BookCompiler.Error(source, v.Line, at, $"expected text, got {v.KindName}");
}
