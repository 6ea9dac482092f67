using Streamer.Rules.Instruments;

namespace Streamer.Stream.Emulator;

/// <summary>A rejected request: HTTP status and Alpaca's <c>{"code","message"}</c> body.</summary>
internal sealed class TradingApiException(int status, int code, string message) : Exception(message)
{
    public int Status => status;
    public int Code => code;

    public static TradingApiException Invalid(string message) => new(422, 42210000, message);
}
