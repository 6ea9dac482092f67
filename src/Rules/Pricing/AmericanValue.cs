using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>Price and the spot Greeks of an American option, per share.</summary>
public readonly record struct AmericanValue(double Price, double Delta, double Gamma);
