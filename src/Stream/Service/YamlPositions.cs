using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>
/// A YAML positions file's entries as JSON objects (the journal and the control API keep positions as
/// JSON). Plain scalars that read as numbers, booleans or null become those; everything else a string.
/// Only called after <c>PositionsFile.Parse</c> accepted the file.
/// </summary>
internal static class YamlPositions
{
    public static string[] ToJson(string yaml, int count, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new SettingsException($"Positions:File: '{path}': {e.Message}");
        }
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var list = (YamlSequenceNode)root.Children[new YamlScalarNode("positions")];
        var result = new string[count];
        int i = 0;
        foreach (var item in list.Children)
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var w = new Utf8JsonWriter(buffer)) Write(w, item);
            result[i++] = Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        return result;
    }

    private static void Write(Utf8JsonWriter w, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                w.WriteStartObject();
                foreach (var (k, v) in map.Children)
                {
                    w.WritePropertyName(((YamlScalarNode)k).Value ?? "");
                    Write(w, v);
                }
                w.WriteEndObject();
                break;
            case YamlSequenceNode seq:
                w.WriteStartArray();
                foreach (var v in seq.Children) Write(w, v);
                w.WriteEndArray();
                break;
            case YamlScalarNode s:
                var text = s.Value ?? "";
                if (s.Style != ScalarStyle.Plain) w.WriteStringValue(text);
                else if (text is "" or "~" or "null") w.WriteNullValue();
                else if (text is "true" or "false") w.WriteBooleanValue(text == "true");
                else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) w.WriteNumberValue(d);
                else w.WriteStringValue(text);
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }
}
