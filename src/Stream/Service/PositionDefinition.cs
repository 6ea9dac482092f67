using Streamer.Rules.Positions;

namespace Streamer.Stream.Service;

/// <summary>
/// A position as it crosses layers: the parsed <see cref="PositionSpec"/> the engine monitors, and the
/// definition JSON (the positions-file element, formats.md) the journal stores. It is parsed once,
/// where the position is made (fills opening it, a broker position adopted), so no layer downstream
/// gets text to parse again; only the wire (<c>streamer.control.add</c>) and the journal hold JSON.
/// </summary>
public sealed record PositionDefinition(PositionSpec Spec, string Json)
{
    public string Id => Spec.Id;

    /// <summary>Parses a definition; throws <see cref="Streamer.Rules.Books.ConfigException"/> naming what is wrong.</summary>
    public static PositionDefinition Parse(string json, string source = "position") => new(PositionsFile.ParseOne(json, source), json);
}
