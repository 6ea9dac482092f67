using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Emulator;

/// <summary>The ticks the emulator replays, in time order (equal times keep their order), with their symbol table.</summary>
public sealed class EmulatorTape
{
    private EmulatorTape(SymbolTable symbols, Tick[] ticks)
    {
        Symbols = symbols;
        Ticks = ticks;
    }

    public SymbolTable Symbols { get; }

    public Tick[] Ticks { get; }

    public long FirstTimeNs => Ticks.Length == 0 ? 0 : Ticks[0].TimeNs;

    public long LastTimeNs => Ticks.Length == 0 ? 0 : Ticks[^1].TimeNs;

    public static EmulatorTape FromTicks(SymbolTable symbols, IEnumerable<Tick> ticks)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(ticks);
        var sorted = ticks.Select((t, i) => (t, i)).OrderBy(x => x.t.TimeNs).ThenBy(x => x.i).Select(x => x.t).ToArray();
        return new EmulatorTape(symbols, sorted);
    }

    /// <summary>Reads a CSV or JSONL tape (formats.md) whole; errors name file, line and field.</summary>
    public static EmulatorTape Load(string path)
    {
        var symbols = new SymbolTable();
        var ticks = new List<Tick>();
        using (var reader = TapeReader.Open(path, symbols))
        {
            while (reader.TryRead(out var tick)) ticks.Add(tick);
        }
        return FromTicks(symbols, ticks);
    }
}
