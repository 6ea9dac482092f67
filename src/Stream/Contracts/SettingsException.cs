
namespace Streamer.Stream.Contracts;

/// <summary>A setting is missing or wrong; the message names the key.</summary>
public sealed class SettingsException : Exception
{
    public SettingsException() { }
    public SettingsException(string message) : base(message) { }
    public SettingsException(string message, Exception inner) : base(message, inner) { }
}
