using System.Text;

namespace Streamer.Feed.Synth;

/// <summary>An underlying's path and its last published quote.</summary>
internal sealed class SynthUnderlying(string symbol, double spot, double vol)
{
    public string Symbol { get; } = symbol;
    public byte[] Utf8 { get; } = Encoding.ASCII.GetBytes(symbol);
    public double Vol { get; } = vol;

    /// <summary>The path's true price (quotes are this on the cent grid).</summary>
    public double Price { get; set; } = spot;
    public long LastStepNs { get; set; }
    public long BidCents { get; set; }
    public long AskCents { get; set; }
    public List<SynthOption> Options { get; } = [];

    /// <summary>The published mid, what options are priced from.</summary>
    public double Mid => (BidCents + AskCents) / 200.0;
}
