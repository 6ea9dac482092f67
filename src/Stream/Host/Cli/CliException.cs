namespace Streamer.Stream.Host.Cli;

/// <summary>A user error: printed as one line, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);
