using System.Runtime.CompilerServices;

namespace Streamer.Rules.Books;

/// <summary>Up to <see cref="BookParameters.MaxTranches"/> doubles inline (no array per book).</summary>
[InlineArray(BookParameters.MaxTranches)]
public struct Tranches
{
    private double _element;
}
