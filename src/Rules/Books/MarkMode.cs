namespace Streamer.Rules.Books;

/// <summary>How a leg is marked (rules.md "Mark of a leg").</summary>
public enum MarkMode : byte
{
    /// <summary>(bid + ask) / 2 of the last sane quote.</summary>
    Mid = 0,
    /// <summary>a long leg at the bid, a short leg at the ask: what closing would get now.</summary>
    Conservative,
    /// <summary>the last trade.</summary>
    Last,
}
