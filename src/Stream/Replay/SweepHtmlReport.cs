using System.Globalization;
using System.Net;
using System.Text;

namespace Streamer.Stream.Replay;

/// <summary>
/// <c>streamer sweep ... --html R.html</c>: one self-contained file (inline SVG and CSS, no script, no
/// network), like the replay report. A heatmap of realized P&amp;L over the grid's first two keys (one
/// heatmap per combination of the others; one row when the grid has one key), the best variant outlined,
/// the in-sample warning, and the results table. Deterministic: the same sweep writes the same bytes.
/// </summary>
public static class SweepHtmlReport
{
    private const int Cell = 64;
    private const int Left = 110;
    private const int Top = 40;

    public static void Write(SweepResult r, string title, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        var inv = CultureInfo.InvariantCulture;
        o.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
        o.Write(H(title));
        o.Write("</title>\n<style>\n" + Css + "</style>\n</head>\n<body>\n");
        o.Write($"<h1>{H(title)}</h1>\n");
        var best = r.Variants[r.Best];
        o.Write(string.Create(inv, $"<p class=\"sub\">{r.Variants.Count} variants over {r.Ticks:N0} ticks parsed once; best #{best.Index}: "));
        o.Write(H(string.Join(", ", r.Keys.Zip(best.Values, (k, v) => $"{k} = {v}"))));
        o.Write(string.Create(inv, $", realized P&amp;L <b class=\"{Cls(best.RealizedPnl)}\">{Money(best.RealizedPnl)}</b></p>\n"));
        o.Write($"<p class=\"warn\" id=\"bias\">The best of {r.Variants.Count.ToString(inv)} variants on the same tape is biased upward: it was chosen in sample. Check it on another tape before trusting it.</p>\n");

        o.Write("<h2>Realized P&amp;L by parameter</h2>\n");
        double scale = r.Variants.Select(v => double.IsFinite(v.RealizedPnl) ? Math.Abs(v.RealizedPnl) : 0).DefaultIfEmpty(0).Max();
        string xKey = r.Keys[0];
        string? yKey = r.Keys.Count > 1 ? r.Keys[1] : null;
        var xs = Distinct(r, 0);
        var ys = yKey is null ? [""] : Distinct(r, 1);
        // one heatmap per combination of the keys after the first two, in grid order
        foreach (var group in r.Variants.GroupBy(v => string.Join("\u0001", v.Values.Skip(2))))
        {
            var rest = group.First().Values.Skip(2).ToList();
            if (rest.Count > 0) o.Write($"<h3>{H(string.Join(", ", r.Keys.Skip(2).Zip(rest, (k, v) => $"{k} = {v}")))}</h3>\n");
            int width = Left + xs.Count * Cell + 20, height = Top + ys.Count * Cell + 30;
            var sb = new StringBuilder();
            sb.Append(inv, $"<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">");
            sb.Append(inv, $"<text class=\"axis\" x=\"{Left}\" y=\"14\">{H(xKey)} →</text>");
            if (yKey is not null) sb.Append(inv, $"<text class=\"axis\" x=\"4\" y=\"{Top - 8}\">{H(yKey)} ↓</text>");
            for (int i = 0; i < xs.Count; i++) sb.Append(inv, $"<text class=\"xl\" x=\"{Left + i * Cell + Cell / 2}\" y=\"{Top - 8}\">{H(xs[i])}</text>");
            for (int j = 0; j < ys.Count; j++) sb.Append(inv, $"<text class=\"yl\" x=\"{Left - 8}\" y=\"{Top + j * Cell + Cell / 2 + 4}\">{H(ys[j])}</text>");
            foreach (var v in group)
            {
                int i = xs.IndexOf(v.Values[0]), j = yKey is null ? 0 : ys.IndexOf(v.Values[1]);
                int x = Left + i * Cell, y = Top + j * Cell;
                bool isBest = v.Index == best.Index;
                sb.Append(inv, $"<rect class=\"cell{(isBest ? " best" : "")}\" data-variant=\"{v.Index}\" data-pnl=\"{Num(v.RealizedPnl)}\" x=\"{x}\" y=\"{y}\" width=\"{Cell - 2}\" height=\"{Cell - 2}\" fill=\"{Color(v.RealizedPnl, scale)}\"><title>#{v.Index}: {H(string.Join(", ", r.Keys.Zip(v.Values, (k, val) => $"{k} = {val}")))}: {Money(v.RealizedPnl)}</title></rect>");
                sb.Append(inv, $"<text class=\"cv\" x=\"{x + Cell / 2 - 1}\" y=\"{y + Cell / 2 + 4}\">{Short(v.RealizedPnl)}</text>");
            }
            sb.Append("</svg>\n");
            o.Write(sb.ToString());
        }
        o.Write("<p class=\"sub\">Green: a gain, red: a loss, the deeper the larger (against the largest |P&amp;L| of the sweep). The outlined cell is the best variant.</p>\n");

        o.Write("<h2>Variants</h2>\n<table class=\"grid\" id=\"variants\">\n<tr><th>#</th>");
        foreach (var k in r.Keys) o.Write($"<th>{H(k)}</th>");
        o.Write("<th class=\"n\">realized P&amp;L</th><th class=\"n\">max drawdown</th><th class=\"n\">win rate</th><th class=\"n\">avg hold (min)</th><th>exits by rule</th></tr>\n");
        foreach (var v in r.Variants)
        {
            int closed = v.Wins + v.Losses;
            o.Write(string.Create(inv, $"<tr data-variant=\"{v.Index}\"{(v.Index == best.Index ? " class=\"best\"" : "")}><td>{v.Index}</td>"));
            foreach (var value in v.Values) o.Write($"<td>{H(value)}</td>");
            o.Write(string.Create(inv, $"<td class=\"n {Cls(v.RealizedPnl)}\">{Money(v.RealizedPnl)}</td><td class=\"n\">{Money(v.MaxDrawdown)}</td>"));
            o.Write(string.Create(inv, $"<td class=\"n\">{(closed == 0 ? "" : $"{100.0 * v.Wins / closed:0}% ({v.Wins}/{closed})")}</td><td class=\"n\">{(double.IsNaN(v.AverageHoldMinutes) ? "" : v.AverageHoldMinutes.ToString("0.0", inv))}</td>"));
            o.Write($"<td>{H(string.Join(" ", v.ExitsByRule.Select(e => $"{e.Key}={e.Value.ToString(inv)}")))}</td></tr>\n");
        }
        o.Write("</table>\n</body>\n</html>\n");
    }

    private static List<string> Distinct(SweepResult r, int key)
    {
        var list = new List<string>();
        foreach (var v in r.Variants) if (!list.Contains(v.Values[key])) list.Add(v.Values[key]);
        return list;
    }

    /// <summary>Red for a loss, green for a gain, white at zero; NaN grey.</summary>
    private static string Color(double pnl, double scale)
    {
        if (!double.IsFinite(pnl)) return "#dddddd";
        double f = scale > 0 ? Math.Min(1, Math.Abs(pnl) / scale) : 0;
        int fade = (int)Math.Round(255 - 155 * f);
        return pnl >= 0 ? $"#{fade:x2}{Math.Max(fade, 170):x2}{fade:x2}" : $"#{Math.Max(fade, 190):x2}{fade:x2}{fade:x2}";
    }

    private static string Money(double v) =>
        !double.IsFinite(v) ? "–" : (v < 0 ? "−$" : "$") + Math.Abs(v).ToString("#,0.00", CultureInfo.InvariantCulture);

    private static string Short(double v) =>
        !double.IsFinite(v) ? "–" : Math.Abs(v) >= 10_000 ? (v < 0 ? "−" : "") + (Math.Abs(v) / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k" : (v < 0 ? "−" : "") + Math.Abs(v).ToString("0", CultureInfo.InvariantCulture);

    private static string Num(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Cls(double v) => v > 0 ? "pos" : v < 0 ? "neg" : "zero";

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private const string Css = """
        body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 12px; }
        h1 { margin-bottom: 0; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; } h3 { margin-bottom: 4px; }
        .sub { color: #666; font-size: 13px; margin-top: 2px; } .warn { background: #fff4e5; border-left: 4px solid #f0a030; padding: 6px 10px; }
        table { border-collapse: collapse; margin: 8px 0; } .grid th, .grid td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
        .grid th { background: #f6f6f6; } .grid tr.best td { font-weight: bold; }
        .n { text-align: right !important; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .pos { color: #1a7f37; } .neg { color: #c62828; }
        svg.heatmap { display: block; margin: 6px 0; }
        svg text { font: 11px "DejaVu Sans", sans-serif; fill: #333; } svg text.xl, svg text.cv { text-anchor: middle; } svg text.yl { text-anchor: end; }
        svg text.axis { font-weight: bold; } svg rect.best { stroke: #222; stroke-width: 3; }

        """;
}
