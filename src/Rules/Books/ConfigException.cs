namespace Streamer.Rules.Books;

/// <summary>
/// A positions or books document that cannot be used, with a message naming the source, line
/// and field at fault (e.g. <c>positions.yaml: line 7: positions[0] 'META-1': legs[0].qty: must not be zero</c>).
/// </summary>
public sealed class ConfigException : FormatException
{
    public ConfigException(string message) : base(message) { }

    public ConfigException(string message, Exception inner) : base(message, inner) { }

    public ConfigException() { }
}
