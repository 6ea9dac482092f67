using System.Text.Json;
namespace Streamer.Stream.Service;

/// <summary>
/// A <c>streamer.control.list</c> request: empty (or <c>{}</c>) for the first page, then
/// <c>{"after":"&lt;the last id seen&gt;"}</c>; <c>"limit"</c> caps a page's positions (1..10,000).
/// A page never holds more than the server's <c>max_payload</c> lets a reply carry.
/// </summary>
internal readonly record struct ListRequest(string? After, int Limit)
{
    public const int MaxLimit = 10_000;

    /// <summary>room for <c>{"ok":true,"positions":[],"total":N,"next_after":"…"}</c> around the entries (an id is at most <see cref="Streamer.Rules.Positions.PositionIds.MaxLength"/>).</summary>
    public const int EnvelopeBytes = 512;

    public static string? TryParse(ReadOnlyMemory<byte> data, out ListRequest request)
    {
        request = new ListRequest(null, MaxLimit);
        if (data.Span.Trim(" \t\r\n"u8).IsEmpty) return null;
        if (Streamer.Rules.Diagnostics.Utf8Text.Check(data.Span) is { } utf8) return "list: " + utf8;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            return $"list: not valid JSON ({e.Message}); send nothing, {{}} or {{\"after\":\"<id>\",\"limit\":n}}";
        }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return "list: expected nothing, {} or {\"after\":\"<id>\",\"limit\":n}";
            string? after = null;
            int limit = MaxLimit;
            if (r.TryGetProperty("after", out var a) && a.ValueKind != JsonValueKind.Null)
            {
                if (a.ValueKind != JsonValueKind.String) return "list: after must be a position id (the last one of the previous page)";
                after = a.GetString();
            }
            if (r.TryGetProperty("limit", out var l) && l.ValueKind != JsonValueKind.Null)
            {
                if (l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out limit) || limit < 1 || limit > MaxLimit)
                    return $"list: limit must be a whole number from 1 to {MaxLimit}";
            }
            request = new ListRequest(after, limit);
            return null;
        }
    }
}
