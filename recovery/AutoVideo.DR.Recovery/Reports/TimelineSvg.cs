using System.Globalization;
using System.Security;
using System.Text;

namespace AutoVideo.DR.Recovery.Reports;

/// <summary>
/// Draws a report's timeline as an SVG Gantt chart: one bar per step on a time axis measured
/// from the disaster, with the disaster and the recovered service marked.
/// </summary>
public static class TimelineSvg
{
    const int Width = 960, LabelWidth = 300, RowHeight = 26, Top = 50, Right = 30;

    public static string Render(RecoveryReport report)
    {
        var steps = report.Timeline;
        var start = Math.Min(0, steps.Count == 0 ? 0 : steps.Min(s => s.Start.TotalSeconds));
        var end = Math.Max(report.ActualRto.TotalSeconds, steps.Count == 0 ? 1 : steps.Max(s => s.End.TotalSeconds));
        if (end - start < 0.001) end = start + 0.001;
        var plot = Width - LabelWidth - Right;
        double X(double seconds) => LabelWidth + (seconds - start) / (end - start) * plot;
        var height = Top + steps.Count * RowHeight + 50;

        var svg = new StringBuilder();
        svg.AppendLine($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine($"""<rect width="{Width}" height="{height}" fill="white"/>""");
        svg.AppendLine($"""<text x="10" y="20" font-size="15" font-weight="bold">{Escape(report.Title)}: RTO {F(report.ActualRto.TotalSeconds)} s, RPO {F(report.ActualRpo.TotalSeconds)} s ({report.LostCommits} commits lost)</text>""");
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var y = Top + i * RowHeight;
            var x = X(step.Start.TotalSeconds);
            var w = Math.Max(2, X(step.End.TotalSeconds) - x);
            var colour = !step.Succeeded ? "#d62728" : step.Start < TimeSpan.Zero ? "#9e9e9e" : "#1f77b4";
            svg.AppendLine($"""<text x="10" y="{y + 16}">{Escape(step.Name)}</text>""");
            svg.AppendLine($"""<rect x="{F(x)}" y="{y + 4}" width="{F(w)}" height="{RowHeight - 8}" fill="{colour}"><title>{Escape(step.Name)}: {F(step.Duration.TotalMilliseconds)} ms — {Escape(step.Detail)}</title></rect>""");
            var labelX = x + w + 4 > Width - 80 ? x - 4 : x + w + 4;
            var anchor = labelX < x ? "end" : "start";
            svg.AppendLine($"""<text x="{F(labelX)}" y="{y + 16}" text-anchor="{anchor}" fill="#333">{step.Duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms</text>""");
        }
        var axisY = Top + steps.Count * RowHeight + 10;
        svg.AppendLine($"""<line x1="{LabelWidth}" y1="{axisY}" x2="{Width - Right}" y2="{axisY}" stroke="#333"/>""");
        for (var t = 0; t <= 4; t++)
        {
            var seconds = start + (end - start) * t / 4;
            svg.AppendLine($"""<text x="{F(X(seconds))}" y="{axisY + 16}" text-anchor="middle">{F(seconds)} s</text>""");
        }
        Marker(svg, X(0), Top - 8, axisY, "#d62728", "disaster");
        Marker(svg, X(report.ActualRto.TotalSeconds), Top - 8, axisY, "#2ca02c", "service verified");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    static void Marker(StringBuilder svg, double x, int top, int bottom, string colour, string label)
    {
        svg.AppendLine($"""<line x1="{F(x)}" y1="{top}" x2="{F(x)}" y2="{bottom}" stroke="{colour}" stroke-dasharray="4 3"/>""");
        var nearRightEdge = x > Width - 150;
        svg.AppendLine($"""<text x="{F(nearRightEdge ? x - 3 : x + 3)}" y="{top + 2}" text-anchor="{(nearRightEdge ? "end" : "start")}" fill="{colour}">{label}</text>""");
    }

    static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
    static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
