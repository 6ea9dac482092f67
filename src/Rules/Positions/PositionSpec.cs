using Streamer.Rules.Books;

namespace Streamer.Rules.Positions;

/// <summary>
/// A position as given in a positions file, an intake message or a control request
/// (formats.md "Positions file"). Validated by <see cref="PositionsFile"/> or
/// <see cref="PositionSpec.Validate"/>; the engine resolves its book when it is added.
/// Absent optional levels are NaN; an absent <see cref="OpenedAtNs"/> is <see cref="long.MinValue"/>
/// (the engine then uses its clock at the time it is added).
/// </summary>
public sealed record PositionSpec
{
    public required string Id { get; init; }
    public required string Book { get; init; }
    public required IReadOnlyList<LegSpec> Legs { get; init; }
    public long OpenedAtNs { get; init; } = long.MinValue;
    public double UnderlyingEntry { get; init; } = double.NaN;
    public double StopUnderlying { get; init; } = double.NaN;
    public double TargetUnderlying { get; init; } = double.NaN;

    /// <summary>Per-position parameter overrides, already compiled onto the book by <see cref="ApplyOverrides"/>.</summary>
    internal ConfigNode? Overrides { get; init; }
    internal string OverridesSource { get; init; } = "overrides";

    /// <summary>The underlying every leg is on (the ticker, or the option symbols' root).</summary>
    public string Underlying => LegSymbols.UnderlyingOf(Legs[0].Symbol);

    /// <summary>The book's parameters with this position's overrides applied.</summary>
    public BookParameters ApplyOverrides(RuleBook book)
    {
        var p = book.Parameters;
        if (Overrides is not null) BookCompiler.ApplyOverrides(ref p, Overrides, OverridesSource, $"position '{Id}'.overrides");
        return p;
    }

    /// <summary>
    /// A copy with per-position overrides given as JSON or YAML (the positions file's <c>overrides</c>
    /// object, e.g. <c>{ "trailing_stop": { "trail_pct": 0.1 } }</c>), checked now.
    /// </summary>
    public PositionSpec WithOverrides(string overrides, string source = "overrides")
    {
        var node = ConfigReader.Read(overrides, source);
        var probe = BookParameters.Defaults;
        BookCompiler.ApplyOverrides(ref probe, node, source, $"position '{Id}'.overrides");
        return this with { Overrides = node, OverridesSource = source };
    }

    /// <summary>Checks what the positions file parser checks, for specs built in code. Throws <see cref="ConfigException"/>.</summary>
    public void Validate() => PositionsFile.ValidateSpec(this, $"position '{Id}'");
}
