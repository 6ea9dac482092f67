using System.Globalization;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;

namespace Streamer.Stream.Emulator;

/// <summary>One <c>--assign SYMBOL@TIME</c>: settle the held position in an OCC contract into stock at <see cref="AtNs"/> (UTC ns).</summary>
public sealed record ForcedAssignment(string Symbol, long AtNs)
{
    /// <summary><c>SYMBOL@TIME</c> with an OCC symbol and an RFC 3339 time; the error names what is wrong.</summary>
    public static ForcedAssignment Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == text.Length - 1) throw new FormatException($"--assign '{text}': expected SYMBOL@TIME (an OCC symbol and an RFC 3339 time)");
        string symbol = text[..at].Trim();
        if (!OccSymbol.TryParse(symbol, out _, out var error)) throw new FormatException($"--assign '{text}': {symbol} is not an OCC option symbol ({error})");
        if (!NanoTime.TryParseRfc3339(text.AsSpan(at + 1).Trim(), out long ns)) throw new FormatException($"--assign '{text}': '{text[(at + 1)..]}' is not an RFC 3339 time");
        return new ForcedAssignment(symbol, ns);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Symbol}@{NanoTime.FormatRfc3339(AtNs)}");
}
