using System.Text;
using Streamer.Rules.Instruments;

namespace Streamer.Feed.Synth;

/// <summary>An option contract and its last published quote.</summary>
internal sealed class SynthOption(OccSymbol occ, string symbol, SynthUnderlying underlying, long expirationNs, double spreadPct)
{
    public OccSymbol Occ { get; } = occ;
    public byte[] Utf8 { get; } = Encoding.ASCII.GetBytes(symbol);
    public SynthUnderlying Underlying { get; } = underlying;
    public long ExpirationNs { get; } = expirationNs;
    public double SpreadPct { get; } = spreadPct;
    public long BidCents { get; set; } = -1;
    public long AskCents { get; set; } = -1;
}
