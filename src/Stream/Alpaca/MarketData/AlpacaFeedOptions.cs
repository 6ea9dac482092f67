using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Instruments;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Alpaca.MarketData;

/// <summary><c>Alpaca:*</c>: the market-data websocket (stocks <c>/v2/{Feed}</c>, options <c>/v1beta1/{OptionsFeed}</c>); keys only from the environment.</summary>
public sealed record AlpacaFeedOptions(Uri DataUrl, string Feed, string OptionsFeed, AlpacaCredentials Credentials) : IMarketDataFeedFactory
{
    public IMarketDataFeed Create(SymbolTable symbols, TimeSpan staleAfter) =>
        new AlpacaTickSource(new AlpacaStreamOptions { DataUrl = DataUrl, StaleAfter = staleAfter }, Feed, OptionsFeed, Credentials, symbols);

    /// <param name="alpaca">the bound <c>Alpaca</c> section (its values already validated). Null when no data URL is set.</param>
    public static AlpacaFeedOptions? From(AlpacaOptions alpaca)
    {
        ArgumentNullException.ThrowIfNull(alpaca);
        if (alpaca.DataUrl is not { } url) return null;
        var keys = AlpacaCredentials.FromEnvironment()
            ?? throw new SettingsException($"Alpaca:DataUrl is set but {AlpacaCredentials.KeyIdVariable} / {AlpacaCredentials.SecretKeyVariable} are not (keys come only from the environment)");
        return new AlpacaFeedOptions(new Uri(url, UriKind.Absolute), alpaca.Feed, alpaca.OptionsFeed, keys);
    }
}
