using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Streamer.Rules.Books;

/// <summary>
/// Reads a JSON or YAML document into a <see cref="ConfigNode"/> tree with line numbers.
/// A document whose first non-blank character is <c>{</c> or <c>[</c> is JSON (read strictly,
/// so a JSON typo is reported as JSON); anything else is YAML. Cold path: files, control requests.
/// </summary>
internal static class ConfigReader
{
    /// <summary>a positions or books file larger than this is refused unread (100,000 positions take about 30 MB).</summary>
    public const int MaxChars = 64 * 1024 * 1024;

    /// <summary>nesting deeper than any books or positions file needs (JSON's reader stops at 64 too).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// nodes a YAML file may reach through aliases (<c>*name</c>): each alias repeats its anchor's whole
    /// tree, so nine nested aliases of nine make 387 million nodes from a few hundred bytes (the
    /// "billion laughs"). Past this the file is refused naming the limit.
    /// </summary>
    public const int MaxAliasedNodes = 100_000;

    public static ConfigNode Read(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxChars) throw new ConfigException($"{source}: {text.Length:N0} characters is over the limit of {MaxChars:N0} (docs/limits.md)");
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] == '\uFEFF') trimmed = trimmed[1..].TrimStart();
        if (trimmed.IsEmpty) throw new ConfigException($"{source}: the document is empty");
        return trimmed[0] is '{' or '[' ? ReadJson(text, source) : ReadYaml(text, source);
    }

    private static ConfigNode ReadJson(string text, string source)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lines = new LineIndex(bytes);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read()) throw new ConfigException($"{source}: the document is empty");
            var root = ReadJsonValue(ref reader, lines, source);
            if (reader.Read()) throw new ConfigException($"{source}: line {lines.LineOf(reader.TokenStartIndex)}: unexpected content after the document");
            return root;
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{source}: line {(ex.LineNumber ?? 0) + 1}: invalid JSON: {ex.Message}", ex);
        }
    }

    private static ConfigNode ReadJsonValue(ref Utf8JsonReader reader, LineIndex lines, string source)
    {
        int line = lines.LineOf(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var map = ConfigNode.Map(line);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    int keyLine = lines.LineOf(reader.TokenStartIndex);
                    string key = reader.GetString()!;
                    if (map.Get(key) is not null) throw new ConfigException($"{source}: line {keyLine}: duplicate key '{key}'");
                    reader.Read();
                    map.Entries.Add(new ConfigEntry(key, keyLine, ReadJsonValue(ref reader, lines, source)));
                }
                return map;
            }
            case JsonTokenType.StartArray:
            {
                var seq = ConfigNode.Seq(line);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    seq.Items.Add(ReadJsonValue(ref reader, lines, source));
                return seq;
            }
            case JsonTokenType.String:
                return ConfigNode.Scalar(line, reader.GetString()!, quoted: true);
            case JsonTokenType.Number:
                return ConfigNode.Scalar(line, Encoding.UTF8.GetString(reader.ValueSpan), quoted: false);
            case JsonTokenType.True:
                return ConfigNode.Scalar(line, "true", quoted: false);
            case JsonTokenType.False:
                return ConfigNode.Scalar(line, "false", quoted: false);
            case JsonTokenType.Null:
                return ConfigNode.Null(line);
            default:
                throw new ConfigException($"{source}: line {line}: unexpected JSON token {reader.TokenType}");
        }
    }

    private static ConfigNode ReadYaml(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            CheckYamlDepth(text, source);
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new ConfigException($"{source}: line {ex.Start.Line}: invalid YAML: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these on some broken input (found by fuzzing): still the file's fault, said as such
            throw new ConfigException($"{source}: invalid YAML: {ex.Message}", ex);
        }
        if (stream.Documents.Count == 0) throw new ConfigException($"{source}: the document is empty");
        if (stream.Documents.Count > 1) throw new ConfigException($"{source}: line {stream.Documents[1].RootNode.Start.Line}: expected one YAML document, found {stream.Documents.Count}");
        return new YamlWalk(source).From(stream.Documents[0].RootNode, 0, aliased: false);
    }

    /// <summary>
    /// The parser's events, before any tree is built: the tree is built recursively, so ten thousand
    /// nested '[' would overflow the stack (a crash no catch can stop) instead of being refused.
    /// </summary>
    private static void CheckYamlDepth(string text, string source)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        int depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart:
                    if (++depth > MaxDepth) throw new ConfigException($"{source}: line {parser.Current.Start.Line}: nested deeper than {MaxDepth} levels (docs/limits.md)");
                    break;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    /// <summary>The YAML tree as config nodes, with the depth and alias-expansion limits counted on the way.</summary>
    private sealed class YamlWalk(string source)
    {
        private readonly HashSet<YamlNode> _seen = new(ReferenceEqualityComparer.Instance);
        private int _aliased;

        public ConfigNode From(YamlNode node, int depth, bool aliased)
        {
            if (depth > MaxDepth) throw new ConfigException($"{source}: line {node.Start.Line}: nested deeper than {MaxDepth} levels (docs/limits.md)");
            // a node met a second time is an alias's copy: it and all below it count against the alias budget
            aliased |= !_seen.Add(node);
            if (aliased && ++_aliased > MaxAliasedNodes)
                throw new ConfigException($"{source}: line {node.Start.Line}: YAML aliases expand to more than {MaxAliasedNodes:N0} nodes (an alias bomb?); write the values out or use fewer aliases (docs/limits.md)");
            return FromYaml(node, source, this, depth, aliased);
        }
    }

    private static ConfigNode FromYaml(YamlNode node, string source, YamlWalk walk, int depth, bool aliased)
    {
        int line = (int)node.Start.Line;
        switch (node)
        {
            case YamlMappingNode m:
            {
                var map = ConfigNode.Map(line);
                foreach (var (k, v) in m.Children)
                {
                    if (k is not YamlScalarNode ks || ks.Value is null)
                        throw new ConfigException($"{source}: line {k.Start.Line}: a mapping key must be a plain name");
                    if (map.Get(ks.Value) is not null) throw new ConfigException($"{source}: line {k.Start.Line}: duplicate key '{ks.Value}'");
                    map.Entries.Add(new ConfigEntry(ks.Value, (int)k.Start.Line, walk.From(v, depth + 1, aliased)));
                }
                return map;
            }
            case YamlSequenceNode s:
            {
                var seq = ConfigNode.Seq(line);
                foreach (var item in s.Children) seq.Items.Add(walk.From(item, depth + 1, aliased));
                return seq;
            }
            case YamlScalarNode sc:
            {
                bool quoted = sc.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded;
                string value = sc.Value ?? string.Empty;
                if (!quoted && value is "" or "~" or "null" or "Null" or "NULL") return ConfigNode.Null(line);
                return ConfigNode.Scalar(line, value, quoted);
            }
            default:
                throw new ConfigException($"{source}: line {line}: YAML aliases and tags are not supported here");
        }
    }

    /// <summary>Byte offset → 1-based line, by binary search over newline offsets.</summary>
    private sealed class LineIndex
    {
        private readonly List<long> _starts = [0];

        public LineIndex(byte[] bytes)
        {
            for (int i = 0; i < bytes.Length; i++) if (bytes[i] == (byte)'\n') _starts.Add(i + 1);
        }

        public int LineOf(long offset)
        {
            int i = _starts.BinarySearch(offset);
            return (i >= 0 ? i : ~i - 1) + 1;
        }
    }
}
