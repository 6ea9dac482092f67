using System.Buffers;

namespace Streamer.Feed.Tapes;

/// <summary>
/// One pooled 64 KiB buffer in front of a stream, for the text tape writers: a line is built in place
/// (<see cref="Room"/>, then <see cref="Commit"/>) and the buffer goes to the stream only between lines,
/// so the stream never holds half a line (a killed recorder leaves whole rows, and <see cref="TapeTail"/>
/// cuts only what a kill inside one write left).
/// </summary>
internal sealed class PooledLineBuffer(Stream stream, bool leaveOpen) : IDisposable
{
    private const int Size = 1 << 16;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Size);
    private int _used;

    /// <summary>Where the next line goes, with room for at least <paramref name="maxLine"/> bytes (what was buffered is written out first when it lacks that).</summary>
    public Span<byte> Room(int maxLine)
    {
        if (_buffer.Length - _used < maxLine) Spill();
        return _buffer.AsSpan(_used);
    }

    /// <summary>The line written into <see cref="Room"/> is <paramref name="length"/> bytes.</summary>
    public void Commit(int length) => _used += length;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Room(bytes.Length));
        _used += bytes.Length;
    }

    /// <summary>Everything buffered reaches the operating system.</summary>
    public void Flush()
    {
        Spill();
        stream.Flush();
    }

    private void Spill()
    {
        if (_used > 0) stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        if (!leaveOpen) stream.Dispose();
    }
}
