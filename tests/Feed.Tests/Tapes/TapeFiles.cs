using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tests.Tapes;

/// <summary>Writes test tapes to a fresh temp directory under the name errors should print.</summary>
internal sealed class TapeFiles : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-tapes-").FullName;

    public string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static List<Tick> ReadAll(string path, SymbolTable symbols)
    {
        using var reader = TapeReader.Open(path, symbols);
        var ticks = new List<Tick>();
        while (reader.TryRead(out var tick)) ticks.Add(tick);
        return ticks;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
