namespace Streamer.Feed.MessagePack;

/// <summary>Why a <see cref="MessagePackReader"/> read failed. The reader stops at the first failure.</summary>
public enum MessagePackError : byte
{
    None = 0,
    /// <summary>the buffer ended inside a value</summary>
    Truncated,
    /// <summary>the next value exists but is of another type than asked for</summary>
    WrongType,
    /// <summary>0xc1 (never used), or a timestamp extension of a length other than 4, 8 or 12</summary>
    InvalidFormat,
    /// <summary>an integer that does not fit the asked width</summary>
    Overflow,
}
