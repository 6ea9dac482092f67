using System.Buffers;
using System.Text.Json;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service.Gateway;

/// <summary>
/// One engine's market-data demand, on <c>streamer.demand.&lt;engine-id&gt;</c> (docs/cluster.md "Feed gateway"):
/// <code>{ "engine": "e1", "lease_ms": 10000, "full": true, "underlyings": { "SPY": ["SPY", "SPY260220P00580000"] } }</code>
/// Each listed underlying's symbols replace what that engine wanted on it before and renew that
/// (engine, underlying) lease; <c>[]</c> withdraws the underlying. <c>full</c> (default true) says the
/// message is the engine's whole demand, so an underlying it no longer lists is withdrawn too; a
/// partition owner sends <c>full: false</c> with only the underlyings of one partition it gains or loses.
/// </summary>
internal sealed record DemandMessage(string Engine, int LeaseMs, bool Full, IReadOnlyDictionary<string, string[]> Underlyings)
{
    public const int MinLeaseMs = 1_000;
    public const int MaxLeaseMs = 300_000;
    public const int MaxEngineIdLength = 64;

    /// <summary>Reads and checks a message; <see cref="DemandException"/> names the field at fault.</summary>
    public static DemandMessage Parse(string subject, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var token = subject.StartsWith(NatsSubjects.DemandPrefix, StringComparison.Ordinal) ? subject[NatsSubjects.DemandPrefix.Length..] : "";
        if (!IsEngineId(token)) throw new DemandException($"subject '{subject}': the engine id must be one token of 1 to {MaxEngineIdLength} letters, digits, '-' or '_'");
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(data);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new DemandException($"{subject}: not JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new DemandException($"{subject}: the demand must be a JSON object");
            string engine = token;
            if (root.TryGetProperty("engine", out var e))
            {
                if (e.ValueKind != JsonValueKind.String || e.GetString() != token)
                    throw new DemandException($"{subject}: field 'engine' must be the subject's engine id '{token}'");
            }
            if (!root.TryGetProperty("lease_ms", out var lease) || !lease.TryGetInt32(out int leaseMs) || leaseMs is < MinLeaseMs or > MaxLeaseMs)
                throw new DemandException($"{subject}: field 'lease_ms' must be an integer from {MinLeaseMs} to {MaxLeaseMs}");
            bool full = true;
            if (root.TryGetProperty("full", out var f))
            {
                if (f.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new DemandException($"{subject}: field 'full' must be true or false");
                full = f.GetBoolean();
            }
            if (!root.TryGetProperty("underlyings", out var u) || u.ValueKind != JsonValueKind.Object)
                throw new DemandException($"{subject}: field 'underlyings' must be an object of underlying → symbols");
            var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var p in u.EnumerateObject())
            {
                if (!LegSymbols.IsTicker(p.Name)) throw new DemandException($"{subject}: underlyings: '{p.Name}' is not a ticker");
                if (p.Value.ValueKind != JsonValueKind.Array) throw new DemandException($"{subject}: underlyings.{p.Name} must be an array of symbols");
                var symbols = new List<string>();
                foreach (var s in p.Value.EnumerateArray())
                {
                    var symbol = s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new DemandException($"{subject}: underlyings.{p.Name}: every symbol must be a string");
                    CheckSymbol(subject, p.Name, symbol);
                    if (!symbols.Contains(symbol)) symbols.Add(symbol);
                }
                map[p.Name] = [.. symbols];
            }
            return new DemandMessage(engine, leaseMs, full, map);
        }
    }

    private static void CheckSymbol(string subject, string underlying, string symbol)
    {
        if (OccSymbol.LooksLikeOption(symbol))
        {
            if (!OccSymbol.TryParse(symbol, out var occ, out var error)) throw new DemandException($"{subject}: underlyings.{underlying}: {error}");
            if (occ.Root != underlying) throw new DemandException($"{subject}: underlyings.{underlying}: option '{symbol}' is on '{occ.Root}', not '{underlying}'");
        }
        else if (!LegSymbols.IsTicker(symbol)) throw new DemandException($"{subject}: underlyings.{underlying}: '{symbol}' is neither a ticker nor an OCC option symbol");
        else if (symbol != underlying) throw new DemandException($"{subject}: underlyings.{underlying}: stock '{symbol}' belongs under its own underlying");
    }

    /// <summary>An engine id is one subject token: letters, digits, '-' and '_' (no '.', '*', '>' or spaces).</summary>
    public static bool IsEngineId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxEngineIdLength) return false;
        foreach (char c in id)
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_') return false;
        return true;
    }

    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("engine", Engine);
            w.WriteNumber("lease_ms", LeaseMs);
            w.WriteBoolean("full", Full);
            w.WriteStartObject("underlyings");
            foreach (var (underlying, symbols) in Underlyings.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteStartArray(underlying);
                foreach (var s in symbols) w.WriteStringValue(s);
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>A demand message the gateway refuses; the text names the subject and the field.</summary>
internal sealed class DemandException(string message) : Exception(message);
