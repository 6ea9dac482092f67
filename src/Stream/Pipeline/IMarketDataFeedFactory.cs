using Streamer.Rules.Instruments;

namespace Streamer.Stream.Pipeline;

/// <summary>Makes the feed once the service owns the symbol table the feed interns into.</summary>
public interface IMarketDataFeedFactory
{
    IMarketDataFeed Create(SymbolTable symbols, TimeSpan staleAfter);
}
