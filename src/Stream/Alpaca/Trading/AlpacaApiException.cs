namespace Streamer.Stream.Alpaca.Trading;

/// <summary>The trading API refused a request: HTTP status plus Alpaca's <c>{"code","message"}</c>.</summary>
internal sealed class AlpacaApiException(int status, int code, string message)
    : Exception($"Alpaca trading API {status} ({code}): {message}")
{
    public int Status => status;
    public int Code => code;
    public string ApiMessage => message;
}
