using System.Text.Json;
using Streamer.Feed.MessagePack;

namespace Streamer.Stream.Emulator;

/// <summary>A message from a client: auth or (un)subscribe, read from JSON or MessagePack.</summary>
internal sealed class ClientRequest
{
    public string Action { get; private set; } = "";
    public string? Key { get; private set; }
    public string? Secret { get; private set; }
    public List<string> Trades { get; } = [];
    public List<string> Quotes { get; } = [];
    /// <summary>bars, dailyBars, updatedBars, statuses, lulds, …: channels this emulator does not serve.</summary>
    public List<string> OtherChannels { get; } = [];

    /// <summary>Null when the bytes are not a message object (→ 400 invalid syntax).</summary>
    public static ClientRequest? ParseJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var r = new Utf8JsonReader(utf8);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
            var req = new ClientRequest();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                string key = r.GetString()!;
                r.Read();
                if (r.TokenType == JsonTokenType.String)
                {
                    req.SetString(key, r.GetString()!);
                }
                else if (r.TokenType == JsonTokenType.StartArray)
                {
                    var list = new List<string>();
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (r.TokenType != JsonTokenType.String) return null;
                        list.Add(r.GetString()!);
                    }
                    req.SetList(key, list);
                }
                else if (r.TokenType == JsonTokenType.StartObject && key == "data")
                {
                    // the older auth shape: {"action":"authenticate","data":{"key_id":…,"secret_key":…}}
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        string inner = r.GetString()!;
                        r.Read();
                        if (r.TokenType == JsonTokenType.String) req.SetString(inner, r.GetString()!);
                        else r.Skip();
                    }
                }
                else
                {
                    r.Skip();
                }
            }
            if (r.Read()) return null; // trailing content
            return req.Action.Length == 0 ? null : req;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static ClientRequest? ParseMessagePack(ReadOnlySpan<byte> bytes)
    {
        var r = new MessagePackReader(bytes);
        if (!r.TryReadMapHeader(out int pairs)) return null;
        var req = new ClientRequest();
        for (int i = 0; i < pairs; i++)
        {
            if (!r.TryReadString(out var keyBytes)) return null;
            string key = System.Text.Encoding.UTF8.GetString(keyBytes);
            switch (r.PeekType())
            {
                case MessagePackType.String:
                    r.TryReadString(out var v);
                    req.SetString(key, System.Text.Encoding.UTF8.GetString(v));
                    break;
                case MessagePackType.Array:
                    r.TryReadArrayHeader(out int n);
                    var list = new List<string>(n);
                    for (int j = 0; j < n; j++)
                    {
                        if (!r.TryReadString(out var s)) return null;
                        list.Add(System.Text.Encoding.UTF8.GetString(s));
                    }
                    req.SetList(key, list);
                    break;
                default:
                    if (!r.TrySkip()) return null;
                    break;
            }
        }
        return r.End && req.Action.Length > 0 ? req : null;
    }

    private void SetString(string key, string value)
    {
        switch (key)
        {
            case "action": Action = value; break;
            case "key" or "key_id": Key = value; break;
            case "secret" or "secret_key": Secret = value; break;
        }
    }

    private void SetList(string key, List<string> items)
    {
        switch (key)
        {
            case "trades": Trades.AddRange(items); break;
            case "quotes": Quotes.AddRange(items); break;
            default: if (items.Count > 0) OtherChannels.Add(key); break;
        }
    }
}
