namespace Streamer.Stream.Alpaca.MarketData;

/// <summary>Something an operator must hear about (published as <c>streamer.alerts.*</c> by the service).</summary>
public sealed record AlpacaAlert(AlpacaAlertKind Kind, int Code, string Message, IReadOnlyList<string> Symbols)
{
    public override string ToString() =>
        Symbols.Count == 0 ? $"{Kind} {Code}: {Message}" : $"{Kind} {Code}: {Message} [{string.Join(", ", Symbols)}]";
}
