namespace Streamer.Feed.Tapes;

/// <summary>
/// A tape row that cannot be read. The message names file, line and field, e.g.
/// <c>ticks.csv:17: column 'bid': '1.2x' is not a number</c>.
/// </summary>
public sealed class TapeFormatException : FormatException
{
    /// <param name="field">the CSV column or JSON key at fault, or null when the whole line is</param>
    public TapeFormatException(string path, long lineNumber, string? field, string message) : base(message)
    {
        FilePath = path;
        LineNumber = lineNumber;
        Field = field;
    }

    public TapeFormatException() => FilePath = string.Empty;

    public TapeFormatException(string message) : base(message) => FilePath = string.Empty;

    public TapeFormatException(string message, Exception innerException) : base(message, innerException) => FilePath = string.Empty;

    public string FilePath { get; }

    /// <summary>1-based line of the file.</summary>
    public long LineNumber { get; }

    /// <summary>The CSV column or JSON key at fault, when one is.</summary>
    public string? Field { get; }
}
