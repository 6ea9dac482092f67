namespace Streamer.Feed.Alpaca;

/// <summary>The server said something the protocol does not allow at that point (the client reconnects).</summary>
public sealed class AlpacaProtocolException(string message) : Exception(message);
