using System.Runtime.CompilerServices;

namespace Streamer.Rules.Pricing;

/// <summary>The boundary at the interior nodes, padded to two 4-lane vectors.</summary>
[InlineArray(8)]
internal struct NodeValues
{
    private double _element0;
}
