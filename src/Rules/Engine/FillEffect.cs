
namespace Streamer.Rules.Engine;

/// <summary>What a fill did to a monitored position.</summary>
public enum FillEffect
{
    /// <summary>kept in the position's fill basket: its legs do not yet add up to whole strategy units (a spread legging in).</summary>
    Held,
    /// <summary>the basket formed whole units: the position grew or shrank (see <see cref="FillResult.Units"/>).</summary>
    Resized,
    /// <summary>the fill cannot apply (symbol not a leg, position closed, ...): nothing changed.</summary>
    Rejected,
}
