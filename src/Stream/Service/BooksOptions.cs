using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>The <c>Books</c> section; the file is parsed by <see cref="LiveServiceOptions"/>.</summary>
public sealed record BooksOptions : ISettingsSection
{
    /// <summary><c>Books:File</c>: books instead of the built-in ones.</summary>
    public string? File { get; init; }

    public void Validate() { }
}
