namespace Streamer.Rules.Engine;

/// <summary>Operator controls and per-leg views (cold: the control API and snapshots, never the tick path's hot loop).</summary>
public sealed partial class ExitEngine
{
    /// <summary>
    /// Pauses or resumes a position's rules. Paused, it is still repriced on every tick (its snapshot
    /// moves), but no rule is evaluated and no time rule wakes it: nothing fires until it is resumed.
    /// On resume the rules run at the next tick or clock event, so a time rule that fell due while
    /// paused fires then. False when the id is unknown.
    /// </summary>
    public bool SetPaused(string id, bool paused)
    {
        if (!_byId.TryGetValue(id, out int index)) return false;
        var rt = _positions[index];
        if (rt.Paused == paused) return true;
        rt.Paused = paused;
        UpdateWake(rt);
        return true;
    }

    /// <summary>Whether the position's rules are paused (false for an unknown id).</summary>
    public bool IsPaused(string id) => _byId.TryGetValue(id, out int index) && _positions[index].Paused;

    /// <summary>How many legs the position has (0 for an unknown id).</summary>
    public int LegCount(string id) => _byId.TryGetValue(id, out int index) ? _positions[index].Legs.Length : 0;

    /// <summary>Leg <paramref name="leg"/> of the position as valued now; no allocation (a struct, the symbol string is the position's own).</summary>
    public bool TryGetLeg(string id, int leg, out PositionLegView view)
    {
        view = default;
        if (!_byId.TryGetValue(id, out int index)) return false;
        var rt = _positions[index];
        if ((uint)leg >= (uint)rt.Legs.Length) return false;
        ref readonly var l = ref rt.Legs[leg];
        view = new PositionLegView(rt.ExitLegs[leg].Symbol, (long)l.Ratio * rt.OpenUnits, l.EntryPrice,
            l.HasMark ? l.Mark : double.NaN, l.MarkNs, l.IsOption && l.HasIv ? l.Iv : double.NaN, l.IsOption);
        return true;
    }
}
