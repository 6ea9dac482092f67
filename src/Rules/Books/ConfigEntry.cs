namespace Streamer.Rules.Books;

internal readonly record struct ConfigEntry(string Key, int Line, ConfigNode Value);
