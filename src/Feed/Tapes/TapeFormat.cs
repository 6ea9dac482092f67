namespace Streamer.Feed.Tapes;

/// <summary>The two tick-tape encodings of formats.md.</summary>
public enum TapeFormat
{
    /// <summary><c>time,symbol,bid,ask,last</c> with a header row.</summary>
    Csv,

    /// <summary>One Alpaca market-data message object per line (<c>"T":"q"</c> quotes, <c>"T":"t"</c> trades).</summary>
    Jsonl,

    /// <summary>Streamer's binary tape (<see cref="BinaryTape"/>, <c>.stape</c>): fixed-width records, no text to parse.</summary>
    Binary,
}
