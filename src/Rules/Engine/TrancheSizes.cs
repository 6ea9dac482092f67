using Streamer.Rules.Books;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;

namespace Streamer.Rules.Engine;

[System.Runtime.CompilerServices.InlineArray(BookParameters.MaxTranches)]
internal struct TrancheSizes
{
    private int _element;
}
