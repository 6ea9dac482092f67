using Streamer.Rules.Books;
using Streamer.Rules.Calendar;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;

namespace Streamer.Rules.Tests.Engine;

/// <summary>A copy of an exit decision that outlives the callback.</summary>
internal sealed record RecordedExit(
    string Id, string PositionId, int Sequence, RuleId Rule, string Reason, long TimeNs,
    int Closed, int Remaining, int Original, (string Symbol, int Qty, double Mark)[] Legs,
    double UnderlyingPrice, double Value, double Pnl, double PnlPct, double PctMaxProfit,
    PositionGreeks Greeks, string LogLine)
{
    public string Summary => $"{Id} {Rule} {Closed}/{Remaining}/{Original} {Pnl:0.######} @{TimeNs}";
}

internal struct RecordingSink(List<RecordedExit> exits, List<PositionState> states) : IExitSink
{
    public readonly void OnExit(in ExitDecision e)
    {
        states.Add(e.StateAfter);
        var legs = new (string, int, double)[e.Legs.Length];
        for (int i = 0; i < legs.Length; i++) legs[i] = (e.Legs[i].Symbol, e.Legs[i].Qty, e.Legs[i].Mark);
        exits.Add(new RecordedExit(e.Id, e.PositionId, e.Sequence, e.Rule, e.Reason, e.TimeNs, e.ContractsClosed, e.ContractsRemaining,
            e.ContractsOriginal, legs, e.UnderlyingPrice, e.Value, e.Pnl, e.PnlPct, e.PctMaxProfit, e.Greeks, e.LogLine()));
    }
}

/// <summary>An engine over a real symbol table and the real NYSE calendar, fed by hand-made ticks.</summary>
internal sealed class EngineHarness
{
    public SymbolTable Symbols { get; } = new();
    public ExitEngine Engine { get; }
    public List<RecordedExit> Exits { get; } = [];
    public List<PositionState> States { get; } = [];
    private RecordingSink _sink;

    public EngineHarness(string? booksYaml = null)
    {
        Engine = new ExitEngine(Symbols, booksYaml is null ? BookSet.BuiltIn : BookSet.Parse(booksYaml, "test-books"));
        _sink = new RecordingSink(Exits, States);
    }

    /// <summary>UTC ns of a New York wall-clock time.</summary>
    public static long Ny(int year, int month, int day, int hour, int minute, int second = 0) =>
        MarketCalendar.NewYorkToUtc(new DateOnly(year, month, day), new TimeOnly(hour, minute, second));

    public static long Utc(string rfc3339) => NanoTime.ParseRfc3339(rfc3339);

    public void Add(string positionsYaml)
    {
        foreach (var spec in PositionsFile.Parse(positionsYaml, "test-positions")) Engine.AddPosition(spec);
    }

    public int Quote(long t, string symbol, double bid, double ask)
    {
        int before = Exits.Count;
        var tick = Tick.Quote(t, Symbols.Intern(symbol), bid, ask);
        Engine.OnTick(in tick, ref _sink);
        return Exits.Count - before;
    }

    public int Trade(long t, string symbol, double last)
    {
        int before = Exits.Count;
        var tick = Tick.Trade(t, Symbols.Intern(symbol), last);
        Engine.OnTick(in tick, ref _sink);
        return Exits.Count - before;
    }

    /// <summary>Advances the clock to <paramref name="t"/>, firing what is due on the way.</summary>
    public int Clock(long t)
    {
        int before = Exits.Count;
        Engine.OnClock(t, ref _sink);
        return Exits.Count - before;
    }

    /// <summary>Replay-style: wake the engine at each NextWakeNs up to <paramref name="t"/>.</summary>
    public int RunClockTo(long t)
    {
        int before = Exits.Count;
        while (Engine.NextWakeNs <= t) Engine.OnClock(Engine.NextWakeNs, ref _sink);
        Engine.OnClock(t, ref _sink);
        return Exits.Count - before;
    }

    /// <summary>An operator's close now at <paramref name="t"/>.</summary>
    public CloseNowOutcome CloseNow(long t, string id, string actor = "test") => Engine.CloseNow(id, t, actor, ref _sink);

    public RecordedExit Last => Exits[^1];

    public PositionState LastState => States[^1];
}
