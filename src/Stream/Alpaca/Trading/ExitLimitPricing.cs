using Streamer.Rules.Engine;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// <c>Alpaca:OrderType=limit</c>: the marketable limit of one attempt at an exit, from the exit event's own
/// marks (formats.md: <c>legs[].qty</c> + buy / − sell, <c>legs[].mark</c>; docs/run.md "Alpaca trading").
/// <list type="bullet">
/// <item>Per strategy unit (the legs' gcd; a single leg: per contract/share), the net mark
/// <c>N = Σ sign(qty) × ratio × mark</c>: positive a debit to pay, negative a credit to receive: Alpaca's mleg
/// sign convention.</item>
/// <item>The allowance of attempt <c>n</c> (1 = the first order): <c>max(f_n × |N|, $0.01 × n)</c> with
/// <c>f_n = min(LimitSlippage × 2^(n−1), LimitSlippageMax)</c>. The fraction follows the position's per-unit exit
/// value, as a trader states it ("the mark, give up at most 5 %"); the cent floor keeps a cheap contract (or a
/// spread netting near zero), where 5 % is less than a tick, at least one tick more marketable than its mark
/// per attempt, so every retry moves the price.</item>
/// <item>The limit is <c>N + allowance</c> (more marketable = pay more / accept a smaller credit), rounded to
/// the cent <b>upwards</b> in that signed convention: never less marketable than the allowance asked. A
/// single leg is sent as Alpaca wants it, positive: a buy <c>ceil(mark + a)</c>, a sell <c>floor(mark − a)</c>,
/// at least $0.01 (a sell's limit cannot be 0). An mleg limit landing on exactly 0 is sent as +$0.01 (one
/// cent more marketable: unsure whether Alpaca takes a zero net).</item>
/// <item>Cents for every price: Alpaca's option tick is $0.01; classes quoted in $0.05 above $3 (not in the
/// penny pilot) still take a cent limit at Alpaca (a marketable limit crosses the quote anyway); stocks ≥ $1
/// trade in cents, and a cent is a valid sub-$1 stock price.</item>
/// <item>A leg without a mark (null in the event: the engine had no price for it; NaN in the leg) → a market
/// order, with the reason.</item>
/// </list>
/// </summary>
internal static class ExitLimitPricing
{
    public const decimal DefaultSlippage = 0.05m;
    public const decimal DefaultSlippageMax = 0.25m;
    public const decimal Tick = 0.01m;

    /// <param name="legs">the exit's closing legs with their marks (the whole exit: only ratios matter)</param>
    /// <param name="attempt">1 for the first order, 2 for the first retry …</param>
    public static ExitOrderPrice Price(IReadOnlyList<ExitLeg> legs, decimal slippage, decimal slippageMax, int attempt)
    {
        ArgumentNullException.ThrowIfNull(legs);
        if (legs.Count == 0) throw new ArgumentException("an exit has at least one leg", nameof(legs));
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        long unit = 0;
        foreach (var leg in legs) unit = Gcd(unit, Math.Abs(leg.Qty));
        if (unit == 0) throw new ArgumentException("every leg has qty 0", nameof(legs));

        decimal net = 0;
        foreach (var leg in legs)
        {
            if (!HasMark(leg)) return ExitOrderPrice.Market($"no mark for {leg.Symbol} in the exit event");
            var mark = (decimal)leg.Mark; // the event's 4-decimal mark: exact in a double, exact back in decimal
            decimal ratio = legs.Count == 1 ? 1 : Math.Abs(leg.Qty) / unit;
            net += Math.Sign(leg.Qty) * ratio * mark;
        }
        decimal allowance = Math.Max(Fraction(slippage, slippageMax, attempt) * Math.Abs(net), Tick * attempt);
        decimal signedLimit = Math.Ceiling((net + allowance) / Tick) * Tick; // + debit / − credit: up is more marketable
        decimal limit = legs.Count > 1
            ? signedLimit == 0 ? Tick : signedLimit
            : Math.Max(Tick, legs[0].Qty > 0 ? signedLimit : -signedLimit);
        return new ExitOrderPrice(limit, legs.Count == 1 ? (decimal)legs[0].Mark : net, allowance, null);
    }

    /// <summary><c>min(slippage × 2^(attempt−1), max)</c>, without overflowing for many attempts.</summary>
    internal static decimal Fraction(decimal slippage, decimal max, int attempt)
    {
        decimal f = slippage;
        for (int i = 1; i < attempt && f < max; i++) f *= 2;
        return Math.Min(f, max);
    }

    private static bool HasMark(in ExitLeg leg) => double.IsFinite(leg.Mark) && leg.Mark >= 0;

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
