namespace Streamer.Rules.Books;

/// <summary>A named, compiled rule book.</summary>
public sealed class RuleBook(string name, BookParameters parameters)
{
    public string Name { get; } = name;

    public BookParameters Parameters { get; } = parameters;

    public bool Has(RuleId rule) => Parameters.Has(rule);
}
