using System.Globalization;
using System.Text.RegularExpressions;

namespace Streamer.Stream.Tests.Metrics;

/// <summary>A Prometheus text exposition read into its samples: name, labels, value (comments and HELP/TYPE lines skipped).</summary>
internal sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public PrometheusText(string text)
    {
        Text = text;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var m = Sample().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in Label().Matches(m.Groups["labels"].Value)) labels[l.Groups[1].Value] = l.Groups[2].Value;
            _samples.Add((m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    public IEnumerable<string> Names => _samples.Select(s => s.Name).Distinct();

    /// <summary>The one sample of <paramref name="name"/> whose labels include <paramref name="labels"/> (k=v pairs); fails when there is none or several.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var found = Series(name, labels).ToList();
        Assert.True(found.Count == 1, $"{found.Count} samples of {name}{{{string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} in:\n{Text}");
        return found[0].Value;
    }

    /// <summary>Every sample of <paramref name="name"/> whose labels include <paramref name="labels"/>, with its value of <paramref name="by"/>.</summary>
    public Dictionary<string, double> By(string name, string by, params (string Key, string Value)[] labels) =>
        Series(name, labels).Where(s => s.Labels.ContainsKey(by)).ToDictionary(s => s.Labels[by], s => s.Value, StringComparer.Ordinal);

    private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Series(string name, (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>[^\s]+)(\s+-?\d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
