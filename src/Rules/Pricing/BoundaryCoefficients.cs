using System.Runtime.CompilerServices;

namespace Streamer.Rules.Pricing;

/// <summary>Chebyshev coefficients of the boundary, inline so the solve never allocates.</summary>
[InlineArray(ExerciseBoundary.Nodes)]
internal struct BoundaryCoefficients
{
    private double _element0;
}
