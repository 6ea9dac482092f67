using System.Globalization;
using System.Net;
using System.Text;
using Streamer.Rules.Calendar;

namespace Streamer.Stream.Replay;

/// <summary>
/// The backtest's HTML report (<c>--html</c>): one self-contained file (inline CSS and SVG, no script,
/// no network) with the summary (P&amp;L by position and by book, wins and losses, exits by rule), the
/// equity curve, a chart per position (underlying, each leg's mark, the net mark, trigger levels as
/// they moved, session boundaries, every exit as a marker with its reason) and the exits table.
/// The SVG is written here, not by a charting library: the bytes depend only on the input (no fonts
/// measured, no machine's native renderer), and the series arrive already bounded with their extremes
/// kept (<see cref="MinMaxSeries"/>), drawn min/max per pixel column. Same input, same file.
/// </summary>
public static class ReplayHtmlReport
{
    private const int Width = 960;
    private const int Left = 72;
    private const int Right = 16;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] LegColors = ["#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public static void Write(ReplayResult result, ReplayRecording rec, string title, TextWriter o)
    {
        o.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        o.Write($"<title>{H(title)}</title>\n");
        o.Write("<style>\n" + Css + "</style>\n</head>\n<body>\n");
        o.Write($"<h1>Backtest report</h1>\n<p class=\"sub\">{H(title)}</p>\n");
        WriteSummary(result, rec, o);
        WriteEquity(result, rec, o);
        o.Write("<h2 id=\"positions\">Positions</h2>\n");
        foreach (var p in result.Positions)
        {
            var tr = rec.Track(p.Id);
            if (tr is not null) WritePosition(p, tr, rec, o);
            else o.Write($"<section class=\"position\" data-position=\"{H(p.Id)}\"><h3>{H(p.Id)}</h3><p>never joined the replay.</p></section>\n");
        }
        WriteExitsTable(result, o);
        o.Write("<p class=\"sub\">Written by streamer replay. Times are New York (ET); shaded: outside the regular session.</p>\n");
        o.Write("</body>\n</html>\n");
    }

    // ------------------------------------------------------------------ summary

    private static void WriteSummary(ReplayResult result, ReplayRecording rec, TextWriter o)
    {
        double realized = result.Positions.Sum(p => p.RealizedPnl);
        double open = result.Positions.Sum(p => OpenPnl(p, rec));
        var closed = result.Positions.Where(p => p.Status == "closed").ToList();
        int wins = closed.Count(p => p.RealizedPnl > 0), losses = closed.Count(p => p.RealizedPnl < 0), flat = closed.Count(p => p.RealizedPnl == 0);
        int stillOpen = result.Positions.Count - closed.Count;
        o.Write("<h2 id=\"summary\">Summary</h2>\n<table class=\"kv\">\n");
        Kv(o, "total-realized", "realized P&amp;L", ReplayReport.Money(realized), realized);
        Kv(o, "total-open", "open P&amp;L at the tape's end", ReplayReport.Money(open), open);
        Kv(o, "total-pnl", "realized + open", ReplayReport.Money(realized + open), realized + open);
        o.Write($"<tr><th>positions</th><td id=\"positions-count\">{result.Positions.Count}</td></tr>\n");
        o.Write($"<tr><th>win / loss / flat (closed)</th><td id=\"win-loss\">{wins} / {losses} / {flat}</td></tr>\n");
        o.Write($"<tr><th>still open</th><td id=\"still-open\">{stillOpen}</td></tr>\n");
        o.Write($"<tr><th>exits</th><td id=\"exits-count\">{result.Exits.Count}</td></tr>\n");
        o.Write(string.Create(Inv, $"<tr><th>ticks</th><td id=\"ticks-count\">{result.Stats.Ticks:N0}</td></tr>\n"));
        if (rec.FirstNs != long.MinValue)
            o.Write($"<tr><th>tape</th><td>{ReplayReport.NewYork(rec.FirstNs)} to {ReplayReport.NewYork(rec.LastNs)}</td></tr>\n");
        o.Write("</table>\n");

        o.Write("<h3>P&amp;L by position</h3>\n<table class=\"grid\" id=\"by-position\">\n<tr><th>position</th><th>book</th><th>status</th><th>open / original</th><th>realized P&amp;L</th><th>open P&amp;L</th><th>result</th><th>exits</th></tr>\n");
        foreach (var p in result.Positions)
        {
            var rules = string.Join(", ", result.Exits.Where(e => e.PositionId == p.Id).Select(e => $"{e.Rule} {e.ContractsClosed}"));
            double op = OpenPnl(p, rec);
            string outcome = p.Status != "closed" ? "open" : p.RealizedPnl > 0 ? "win" : p.RealizedPnl < 0 ? "loss" : "flat";
            o.Write($"<tr data-position=\"{H(p.Id)}\"><td><a href=\"#pos-{Anchor(p.Id)}\">{H(p.Id)}</a></td><td>{H(p.Book)}</td><td>{p.Status}</td>" +
                $"<td class=\"n\">{p.ContractsRemaining} / {p.ContractsOriginal}</td>" +
                $"<td class=\"n {Cls(p.RealizedPnl)} realized\">{ReplayReport.Money(p.RealizedPnl)}</td>" +
                $"<td class=\"n {Cls(op)}\">{ReplayReport.Money(op)}</td><td>{outcome}</td><td>{(rules.Length == 0 ? "-" : H(rules))}</td></tr>\n");
        }
        o.Write("</table>\n");

        o.Write("<h3>P&amp;L by book</h3>\n<table class=\"grid\" id=\"by-book\">\n<tr><th>book</th><th>positions</th><th>win / loss / flat</th><th>realized P&amp;L</th><th>open P&amp;L</th></tr>\n");
        foreach (var g in result.Positions.GroupBy(p => p.Book).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            double r = g.Sum(p => p.RealizedPnl), op = g.Sum(p => OpenPnl(p, rec));
            var c = g.Where(p => p.Status == "closed").ToList();
            o.Write($"<tr data-book=\"{H(g.Key)}\"><td>{H(g.Key)}</td><td class=\"n\">{g.Count()}</td>" +
                $"<td class=\"n\">{c.Count(p => p.RealizedPnl > 0)} / {c.Count(p => p.RealizedPnl < 0)} / {c.Count(p => p.RealizedPnl == 0)}</td>" +
                $"<td class=\"n {Cls(r)} realized\">{ReplayReport.Money(r)}</td><td class=\"n {Cls(op)}\">{ReplayReport.Money(op)}</td></tr>\n");
        }
        o.Write("</table>\n");

        o.Write("<h3>Exits by rule</h3>\n<table class=\"grid\" id=\"by-rule\">\n<tr><th>rule</th><th>exits</th><th>contracts closed</th><th>P&amp;L</th></tr>\n");
        foreach (var g in result.Exits.GroupBy(e => e.Rule).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            double pnl = g.Sum(e => e.Pnl);
            o.Write($"<tr data-rule=\"{H(g.Key)}\"><td>{H(g.Key)}</td><td class=\"n count\">{g.Count()}</td><td class=\"n\">{g.Sum(e => e.ContractsClosed)}</td>" +
                $"<td class=\"n {Cls(pnl)}\">{ReplayReport.Money(pnl)}</td></tr>\n");
        }
        o.Write("</table>\n");
    }

    private static double OpenPnl(ReplayPositionResult p, ReplayRecording rec)
    {
        var tr = rec.Track(p.Id);
        return tr is null || p.ContractsRemaining == 0 ? 0 : Math.Round(tr.CurrentPnl - tr.RealizedPnl, 2);
    }

    private static void Kv(TextWriter o, string id, string label, string text, double v) =>
        o.Write($"<tr><th>{label}</th><td id=\"{id}\" class=\"n {Cls(v)}\">{text}</td></tr>\n");

    // ------------------------------------------------------------------ equity

    private static void WriteEquity(ReplayResult result, ReplayRecording rec, TextWriter o)
    {
        o.Write("<h2 id=\"equity\">Equity: realized + open P&amp;L</h2>\n");
        if (rec.Equity.IsEmpty || rec.FirstNs == long.MinValue) { o.Write("<p>no ticks.</p>\n"); return; }
        var x = new XAxis(rec.FirstNs, Math.Max(rec.LastNs, rec.FirstNs + 60_000_000_000L));
        var y = new YRange();
        y.Include(0);
        y.Include(rec.Equity, x);
        const int top = 10, h = 220;
        var sb = new StringBuilder();
        int total = top + h + 34;
        sb.Append(string.Create(Inv, $"<svg class=\"chart equity\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{total}\" viewBox=\"0 0 {Width} {total}\" role=\"img\" aria-label=\"equity curve\">\n"));
        var panel = new Panel(x, y.Padded(), top, h);
        Sessions(sb, panel);
        Grid(sb, panel, money: true);
        Line(sb, panel, rec.Equity, "#1f77b4", 1.6, null, "equity");
        foreach (var e in result.Exits)
        {
            double v = rec.Equity.LastAtOrBefore(e.TimeNs);
            if (double.IsNaN(v)) v = 0;
            double px = panel.X(e.TimeNs), py = panel.Y(v);
            sb.Append(string.Create(Inv, $"<g class=\"exit-marker\" data-exit-id=\"{H(e.Id)}\" data-rule=\"{H(e.Rule)}\"><title>{H(e.Id)} {H(e.Rule)}: {H(e.Reason)} ({ReplayReport.Money(e.Pnl)})</title><circle cx=\"{px:F1}\" cy=\"{py:F1}\" r=\"3.5\" fill=\"{(e.Pnl >= 0 ? "#2ca02c" : "#d62728")}\" stroke=\"#222\" stroke-width=\"0.6\"/></g>\n"));
        }
        XLabels(sb, panel, top + h + 16);
        sb.Append("</svg>\n");
        o.Write(sb.ToString());
    }

    // ------------------------------------------------------------------ per position

    private static void WritePosition(ReplayPositionResult p, PositionTrack tr, ReplayRecording rec, TextWriter o)
    {
        long t0 = tr.OpenedNs != long.MinValue ? tr.OpenedNs : rec.FirstNs;
        long t1 = tr.ClosedNs != long.MaxValue ? tr.ClosedNs : rec.LastNs;
        if (t0 == long.MinValue) t0 = t1;
        if (t1 == long.MinValue || t1 <= t0) t1 = t0 + 60_000_000_000L;
        long pad = Math.Max((t1 - t0) / 40, 1_000_000_000L);
        var x = new XAxis(t0 - pad, t1 + pad);
        var legs = string.Join(" / ", tr.Spec.Legs.Select(l => string.Create(Inv, $"{(l.Qty > 0 ? "+" : "")}{l.Qty} {l.Symbol} @ {l.EntryPrice:0.00}")));
        o.Write($"<section class=\"position\" id=\"pos-{Anchor(p.Id)}\" data-position=\"{H(p.Id)}\">\n<h3>{H(p.Id)} <span class=\"sub\">{H(p.Book)} book, {p.Status}, {ReplayReport.Money(p.RealizedPnl)} realized</span></h3>\n<p class=\"sub\">{H(legs)}</p>\n");
        if (rec.FirstNs == long.MinValue) { o.Write("<p>no ticks.</p>\n</section>\n"); return; }

        const int top1 = 22, h1 = 190, gap = 40, top2 = top1 + h1 + gap, h2 = 190;
        int total = top2 + h2 + 34;
        var sb = new StringBuilder();
        sb.Append(string.Create(Inv, $"<svg class=\"chart position-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{total}\" viewBox=\"0 0 {Width} {total}\" role=\"img\" aria-label=\"{H(p.Id)}\">\n"));

        // panel 1: the underlying, its stop and target
        var y1 = new YRange();
        y1.Include(tr.Underlying, x);
        y1.Include(tr.StopLevel, x);
        y1.Include(tr.TargetLevel, x);
        foreach (var e in tr.Exits) y1.Include(e.Exit.UnderlyingPrice);
        var p1 = new Panel(x, y1.Padded(), top1, h1);
        sb.Append(string.Create(Inv, $"<text x=\"{Left}\" y=\"{top1 - 8}\" class=\"pt\">{H(tr.Spec.Underlying)} (mid)</text>\n"));
        Sessions(sb, p1);
        Grid(sb, p1, money: false);
        Line(sb, p1, tr.StopLevel, "#d62728", 1.2, "6 3", "underlying stop");
        Line(sb, p1, tr.TargetLevel, "#2ca02c", 1.2, "6 3", "underlying target");
        Line(sb, p1, tr.Underlying, "#1f77b4", 1.4, null, tr.Spec.Underlying);

        // panel 2: each leg's mark, the net mark per contract, the premium levels
        var y2 = new YRange();
        foreach (var l in tr.Legs) y2.Include(l, x);
        foreach (var s in new[] { tr.Net, tr.PremiumTarget, tr.PremiumStop, tr.TrailingStop, tr.CreditStop, tr.NextTranche }) y2.Include(s, x);
        foreach (var e in tr.Exits) y2.Include(e.NetMark);
        var p2 = new Panel(x, y2.Padded(), top2, h2);
        string netName = tr.Sign < 0 ? "net: debit to close per contract" : "net mark per contract";
        sb.Append(string.Create(Inv, $"<text x=\"{Left}\" y=\"{top2 - 8}\" class=\"pt\">leg marks and {netName}</text>\n"));
        Sessions(sb, p2);
        Grid(sb, p2, money: false);
        Line(sb, p2, tr.PremiumTarget, "#2ca02c", 1.2, "6 3", "premium target");
        Line(sb, p2, tr.PremiumStop, "#d62728", 1.2, "6 3", "premium stop");
        Line(sb, p2, tr.CreditStop, "#d62728", 1.2, "2 2", "credit stop");
        Line(sb, p2, tr.TrailingStop, "#ff9900", 1.4, "4 2", "trailing stop");
        Line(sb, p2, tr.NextTranche, "#17becf", 1.2, "6 3", "next scale-out level");
        for (int i = 0; i < tr.Legs.Length; i++) Line(sb, p2, tr.Legs[i], LegColors[i % LegColors.Length], 1.2, null, tr.Spec.Legs[i].Symbol);
        if (tr.Legs.Length > 1 || tr.Sign < 0) Line(sb, p2, tr.Net, "#222222", 1.6, null, "net");

        // the entry
        if (tr.OpenedNs != long.MinValue)
        {
            double ex = p1.X(tr.OpenedNs);
            sb.Append(string.Create(Inv, $"<g class=\"entry-marker\"><title>entry {H(ReplayReport.NewYork(tr.OpenedNs))}</title><line x1=\"{ex:F1}\" y1=\"{top1}\" x2=\"{ex:F1}\" y2=\"{top2 + h2}\" stroke=\"#1f77b4\" stroke-width=\"1\"/>"));
            double net0 = tr.EntryNet();
            if (double.IsFinite(net0) && net0 >= p2.Y0 && net0 <= p2.Y1) sb.Append(string.Create(Inv, $"<rect x=\"{ex - 4:F1}\" y=\"{p2.Y(net0) - 4:F1}\" width=\"8\" height=\"8\" fill=\"#1f77b4\"/>"));
            sb.Append(string.Create(Inv, $"<text x=\"{ex + 3:F1}\" y=\"{top1 + 10}\" class=\"ml\">entry</text></g>\n"));
        }
        // every exit: a line through both panels, a marker on each, its rule and reason
        int n = 0;
        foreach (var re in tr.Exits)
        {
            var e = re.Exit;
            double ex = p1.X(e.TimeNs);
            string color = e.Pnl >= 0 ? "#2ca02c" : "#d62728";
            sb.Append(string.Create(Inv, $"<g class=\"exit-marker\" data-exit-id=\"{H(e.Id)}\" data-rule=\"{H(e.Rule)}\" data-reason=\"{H(e.Reason)}\"><title>{H(e.Id)} {H(ReplayReport.NewYork(e.TimeNs))} {H(e.Rule)}: {H(e.Reason)}; closed {e.ContractsClosed}, {ReplayReport.Money(e.Pnl)}</title>"));
            sb.Append(string.Create(Inv, $"<line x1=\"{ex:F1}\" y1=\"{top1}\" x2=\"{ex:F1}\" y2=\"{top2 + h2}\" stroke=\"{color}\" stroke-width=\"1\" stroke-dasharray=\"3 2\"/>"));
            if (double.IsFinite(e.UnderlyingPrice)) sb.Append(string.Create(Inv, $"<circle cx=\"{ex:F1}\" cy=\"{p1.Y(e.UnderlyingPrice):F1}\" r=\"4.5\" fill=\"{color}\" stroke=\"#222\" stroke-width=\"0.8\"/>"));
            if (double.IsFinite(re.NetMark))
            {
                double cy = p2.Y(re.NetMark);
                sb.Append(string.Create(Inv, $"<path d=\"M{ex:F1} {cy - 6:F1} L{ex + 5:F1} {cy + 4:F1} L{ex - 5:F1} {cy + 4:F1} Z\" fill=\"{color}\" stroke=\"#222\" stroke-width=\"0.8\"/>"));
            }
            int ly = top1 + 22 + (n % 4) * 12;
            bool leftOfLine = ex > Width - Right - 130;
            sb.Append(string.Create(Inv, $"<text x=\"{(leftOfLine ? ex - 3 : ex + 3):F1}\" y=\"{ly}\" class=\"ml\"{(leftOfLine ? " text-anchor=\"end\"" : "")}>{H(e.Id[(e.PositionId.Length + 1)..])} {H(e.Rule)}</text></g>\n"));
            n++;
        }
        XLabels(sb, p2, top2 + h2 + 16);
        sb.Append("</svg>\n");
        o.Write(sb.ToString());
        Legend(o, tr);
        o.Write("</section>\n");
    }

    private static void Legend(TextWriter o, PositionTrack tr)
    {
        o.Write("<p class=\"legend\">");
        void Item(string color, string name, bool dashed) =>
            o.Write($"<span><i style=\"border-top:2px {(dashed ? "dashed" : "solid")} {color}\"></i>{H(name)}</span>");
        Item("#1f77b4", tr.Spec.Underlying, false);
        for (int i = 0; i < tr.Legs.Length; i++) Item(LegColors[i % LegColors.Length], tr.Spec.Legs[i].Symbol, false);
        if (tr.Legs.Length > 1 || tr.Sign < 0) Item("#222222", "net", false);
        if (!tr.StopLevel.IsEmpty) Item("#d62728", "underlying stop", true);
        if (!tr.TargetLevel.IsEmpty) Item("#2ca02c", "underlying target", true);
        if (!tr.PremiumStop.IsEmpty) Item("#d62728", "premium stop", true);
        if (!tr.PremiumTarget.IsEmpty) Item("#2ca02c", "premium target", true);
        if (!tr.CreditStop.IsEmpty) Item("#d62728", "credit stop", true);
        if (!tr.TrailingStop.IsEmpty) Item("#ff9900", "trailing stop", true);
        if (!tr.NextTranche.IsEmpty) Item("#17becf", "next scale-out level", true);
        o.Write("<span>● ▲ exit (green: gain, red: loss)</span></p>\n");
    }

    // ------------------------------------------------------------------ exits table

    private static void WriteExitsTable(ReplayResult result, TextWriter o)
    {
        o.Write("<h2 id=\"exits\">Exits</h2>\n<table class=\"grid\" id=\"exits-table\">\n<tr><th>id</th><th>time (ET)</th><th>position</th><th>rule</th><th>reason</th><th>closed</th><th>remaining</th><th>underlying</th><th>value</th><th>P&amp;L</th><th>P&amp;L %</th></tr>\n");
        foreach (var e in result.Exits)
        {
            o.Write($"<tr class=\"exit\" data-exit-id=\"{H(e.Id)}\"><td>{H(e.Id)}</td><td>{ReplayReport.NewYork(e.TimeNs)}</td><td>{H(e.PositionId)}</td><td>{H(e.Rule)}</td><td class=\"reason\">{H(e.Reason)}</td>" +
                string.Create(Inv, $"<td class=\"n\">{e.ContractsClosed}</td><td class=\"n\">{e.ContractsRemaining}/{e.ContractsOriginal}</td><td class=\"n\">{Num(e.UnderlyingPrice, "0.00")}</td><td class=\"n\">{ReplayReport.Money(e.Value)}</td>") +
                $"<td class=\"n {Cls(e.Pnl)} pnl\">{ReplayReport.Money(e.Pnl)}</td><td class=\"n\">{Num(e.PnlPct * 100, "0.0")}%</td></tr>\n");
        }
        o.Write("</table>\n");
    }

    // ------------------------------------------------------------------ drawing

    private sealed class XAxis(long t0, long t1)
    {
        public long T0 { get; } = t0;
        public long T1 { get; } = Math.Max(t1, t0 + 1);
    }

    private sealed class YRange
    {
        private double _lo = double.PositiveInfinity, _hi = double.NegativeInfinity;

        public void Include(double v)
        {
            if (!double.IsFinite(v)) return;
            _lo = Math.Min(_lo, v);
            _hi = Math.Max(_hi, v);
        }

        public void Include(MinMaxSeries s, XAxis x)
        {
            for (int i = 0; i < s.Count; i++)
            {
                if (!s.Has(i)) continue;
                long t = s.BucketStart(i);
                if (t + s.WidthNs < x.T0 || t > x.T1) continue;
                Include(s.Min(i));
                Include(s.Max(i));
            }
        }

        public (double Lo, double Hi) Padded()
        {
            if (!double.IsFinite(_lo)) return (0, 1);
            double span = _hi - _lo;
            // flat, or flat but for rounding noise (1e-13 on a 600 price): a grid step that small never advances v
            if (span <= Math.Max(Math.Abs(_hi), Math.Abs(_lo)) * 1e-9) span = Math.Max(Math.Abs(_hi) * 0.02, 0.01);
            return (_lo - span * 0.08, _hi + span * 0.08);
        }
    }

    private sealed class Panel(XAxis x, (double Lo, double Hi) y, int top, int height)
    {
        public XAxis Axis { get; } = x;
        public double Y0 { get; } = y.Lo;
        public double Y1 { get; } = y.Hi;
        public int Top { get; } = top;
        public int Height { get; } = height;
        public static double PlotWidth => Width - Left - Right;

        public double X(long t) => Left + (double)(Math.Clamp(t, Axis.T0, Axis.T1) - Axis.T0) / (Axis.T1 - Axis.T0) * PlotWidth;

        public double Y(double v) => Top + Height - (Math.Clamp(v, Y0, Y1) - Y0) / (Y1 - Y0) * Height;
    }

    /// <summary>A series as one polyline: per pixel column the first, lowest, highest and last value of the buckets in it.</summary>
    private static void Line(StringBuilder sb, Panel p, MinMaxSeries s, string color, double width, string? dash, string name)
    {
        if (s.IsEmpty) return;
        var pts = new Points();
        int col = int.MinValue;
        double f = 0, mn = 0, mx = 0, l = 0;
        int segments = 0;
        void Flush()
        {
            if (col == int.MinValue) return;
            double y0 = p.Y(f), ymin = p.Y(mn), ymax = p.Y(mx), yl = p.Y(l);
            Pt(pts, col, y0);
            if (mn != mx)
            {
                // the column's extremes in the order that reaches them from its first value
                bool upFirst = Math.Abs(mx - f) < Math.Abs(mn - f);
                Pt(pts, col, upFirst ? ymax : ymin);
                Pt(pts, col, upFirst ? ymin : ymax);
            }
            if (l != f || mn != mx) Pt(pts, col, yl);
            segments++;
        }
        for (int i = 0; i < s.Count; i++)
        {
            if (!s.Has(i)) continue;
            long t = s.BucketStart(i);
            if (t + s.WidthNs < p.Axis.T0 || t > p.Axis.T1) continue;
            int c = (int)Math.Round(p.X(t));
            if (c != col)
            {
                Flush();
                col = c; f = s.First(i); mn = s.Min(i); mx = s.Max(i); l = s.Last(i);
            }
            else
            {
                mn = Math.Min(mn, s.Min(i)); mx = Math.Max(mx, s.Max(i)); l = s.Last(i);
            }
        }
        Flush();
        if (segments == 0) return;
        if (segments == 1) Pt(pts, Math.Min(col + 2, Width - Right), p.Y(l)); // a single column: a short stroke, still visible
        sb.Append(string.Create(Inv, $"<polyline class=\"series\" data-series=\"{H(name)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width:0.0}\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")} stroke-linejoin=\"round\" points=\""));
        pts.WriteTo(sb);
        sb.Append("\"/>\n");
    }

    private static void Pt(Points pts, double x, double y) => pts.Add(x, y);

    /// <summary>
    /// A polyline's points at 0.1 px: a repeat is dropped, and a point between two on the same
    /// horizontal or vertical line is replaced by the next (a flat level is 2 points, not one a column).
    /// </summary>
    private sealed class Points
    {
        private readonly List<(long X, long Y)> _p = [];

        public void Add(double x, double y)
        {
            var q = ((long)Math.Round(x * 10), (long)Math.Round(y * 10));
            int n = _p.Count;
            if (n > 0 && _p[n - 1] == q) return;
            if (n > 1 && ((_p[n - 2].Y == _p[n - 1].Y && _p[n - 1].Y == q.Item2) || (_p[n - 2].X == _p[n - 1].X && _p[n - 1].X == q.Item1 && Between(_p[n - 2].Y, _p[n - 1].Y, q.Item2))))
            {
                _p[n - 1] = q;
                return;
            }
            _p.Add(q);
        }

        // a vertical run is merged only while it keeps its direction (its extremes stay points)
        private static bool Between(long a, long b, long c) => (a <= b && b <= c) || (a >= b && b >= c);

        public void WriteTo(StringBuilder sb)
        {
            for (int i = 0; i < _p.Count; i++)
            {
                if (i > 0) sb.Append(' ');
                Tenths(sb, _p[i].X);
                sb.Append(',');
                Tenths(sb, _p[i].Y);
            }
        }

        private static void Tenths(StringBuilder sb, long v)
        {
            if (v < 0) { sb.Append('-'); v = -v; }
            sb.Append((v / 10).ToString(Inv)).Append('.').Append((char)('0' + v % 10));
        }
    }

    /// <summary>Shades the time outside regular sessions and marks each open and close.</summary>
    private static void Sessions(StringBuilder sb, Panel p)
    {
        var cal = MarketCalendar.Nyse;
        long cur = p.Axis.T0, end = p.Axis.T1;
        sb.Append(string.Create(Inv, $"<rect class=\"plot\" x=\"{Left}\" y=\"{p.Top}\" width=\"{Panel.PlotWidth:F0}\" height=\"{p.Height}\" fill=\"#ffffff\" stroke=\"#bbbbbb\"/>\n"));
        for (int guard = 0; cur < end && guard < 2000; guard++)
        {
            if (cal.TryGetSessionContaining(cur, out _, out long close))
            {
                if (close < end) SessionLine(sb, p, close, "close");
                cur = close;
            }
            else
            {
                long open = cal.NextSessionOpenAtOrAfter(cur);
                double x0 = p.X(cur), x1 = p.X(Math.Min(open, end));
                if (x1 - x0 > 0.05) sb.Append(string.Create(Inv, $"<rect class=\"closed\" x=\"{x0:F1}\" y=\"{p.Top}\" width=\"{x1 - x0:F1}\" height=\"{p.Height}\" fill=\"#eeeeee\"/>\n"));
                if (open < end) SessionLine(sb, p, open, "open");
                cur = open;
            }
        }
    }

    private static void SessionLine(StringBuilder sb, Panel p, long t, string what)
    {
        double x = p.X(t);
        sb.Append(string.Create(Inv, $"<line class=\"session-{what}\" x1=\"{x:F1}\" y1=\"{p.Top}\" x2=\"{x:F1}\" y2=\"{p.Top + p.Height}\" stroke=\"#999999\" stroke-width=\"0.6\"><title>session {what} {H(ReplayReport.NewYork(t))}</title></line>\n"));
    }

    private static void Grid(StringBuilder sb, Panel p, bool money)
    {
        double step = NiceStep((p.Y1 - p.Y0) / 5);
        double first = Math.Ceiling(p.Y0 / step) * step;
        // by index, at most 12 lines: a step below the values' resolution must never loop forever
        for (int i = 0; i <= 12; i++)
        {
            double v = first + i * step;
            if (v > p.Y1) break;
            double y = p.Y(v);
            string label = money ? ReplayReport.Money(Math.Round(v, 2)) : Num(v, step >= 1 ? "0" : step >= 0.1 ? "0.0" : step >= 0.01 ? "0.00" : "0.000");
            sb.Append(string.Create(Inv, $"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Width - Right}\" y2=\"{y:F1}\" stroke=\"#dddddd\" stroke-width=\"0.6\"/><text x=\"{Left - 6}\" y=\"{y + 4:F1}\" class=\"yl\">{label}</text>\n"));
        }
    }

    private static void XLabels(StringBuilder sb, Panel p, int y)
    {
        const int n = 6;
        for (int i = 0; i <= n; i++)
        {
            long t = p.Axis.T0 + (long)((double)(p.Axis.T1 - p.Axis.T0) * i / n);
            string s = ReplayReport.NewYork(t);
            string label = s[5..16]; // MM-dd HH:mm
            double x = p.X(t);
            string anchor = i == 0 ? "start" : i == n ? "end" : "middle";
            sb.Append(string.Create(Inv, $"<text x=\"{x:F1}\" y=\"{y}\" class=\"xl\" text-anchor=\"{anchor}\">{label}</text>\n"));
        }
    }

    private static double NiceStep(double raw)
    {
        if (!(raw > 0) || !double.IsFinite(raw)) return 1;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double r = raw / mag;
        return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
    }

    private static string Num(double v, string format)
    {
        if (!double.IsFinite(v)) return "n/a";
        string s = v.ToString(format, Inv);
        return s.StartsWith('-') && s.AsSpan(1).Trim("0.").IsEmpty ? s[1..] : s; // no "-0"
    }

    private static string Cls(double v) => v > 0 ? "pos" : v < 0 ? "neg" : "zero";

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string Anchor(string id)
    {
        var sb = new StringBuilder(id.Length);
        foreach (char c in id) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        return sb.ToString();
    }

    private const string Css = """
        body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 12px; }
        h1 { margin-bottom: 0; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; } h3 { margin-bottom: 4px; }
        .sub { color: #666; font-weight: normal; font-size: 13px; margin-top: 2px; }
        table { border-collapse: collapse; margin: 8px 0; }
        .grid th, .grid td, .kv th, .kv td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
        .kv th { font-weight: normal; color: #555; }
        .grid th { background: #f6f6f6; }
        .n { text-align: right !important; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .pos { color: #1a7f37; } .neg { color: #c62828; }
        #exits-table { font-size: 12.5px; } .reason { max-width: 360px; }
        #exits-table td:nth-child(-n+3) { white-space: nowrap; } #exits-table { width: 100%; font-size: 12px; } #exits-table th, #exits-table td { padding: 3px 6px; }
        svg.chart { display: block; margin: 6px 0; background: #fafafa; }
        svg text { font: 11px "DejaVu Sans", sans-serif; fill: #444; }
        svg text.yl { text-anchor: end; } svg text.pt { font-weight: bold; fill: #222; } svg text.ml { font-size: 10px; fill: #222; }
        .legend span { margin-right: 14px; font-size: 12px; white-space: nowrap; }
        .legend i { display: inline-block; width: 18px; margin-right: 4px; vertical-align: middle; }
        section.position { margin-bottom: 28px; }

        """;
}
