namespace Streamer.Feed.MessagePack;

/// <summary>The family of the next value, from its first byte alone.</summary>
public enum MessagePackType : byte
{
    Unknown = 0,
    Nil,
    Boolean,
    Integer,
    Float,
    String,
    Binary,
    Array,
    Map,
    Extension,
}
