namespace Streamer.Stream.Pipeline;

/// <summary>The journal refused a write that contradicts what it holds (a bug upstream, never retried).</summary>
public sealed class JournalConflictException : Exception
{
    public JournalConflictException() { }
    public JournalConflictException(string message) : base(message) { }
    public JournalConflictException(string message, Exception inner) : base(message, inner) { }
}
