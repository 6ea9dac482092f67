using System.Buffers;
using System.Text;

namespace Streamer.Rules.Diagnostics;

/// <summary>Outside bytes that should be UTF-8 text (JSON messages, JSONL lines): where they are not.</summary>
public static class Utf8Text
{
    /// <summary>-1 when <paramref name="bytes"/> is valid UTF-8; otherwise the offset of the first byte that is not.</summary>
    public static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out _, out int consumed);
            if (status != OperationStatus.Done) return offset;
            offset += consumed;
            bytes = bytes[consumed..];
        }
        return -1;
    }

    /// <summary>null when valid UTF-8; otherwise "not valid UTF-8 (byte 0xNN at offset N)".</summary>
    public static string? Check(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        int at = FirstInvalid(bytes);
        return $"not valid UTF-8 (byte 0x{bytes[at]:X2} at offset {at})";
    }
}
