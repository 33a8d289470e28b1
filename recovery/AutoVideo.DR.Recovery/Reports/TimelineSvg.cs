using System.Globalization;
using System.Security;
using System.Text;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Reports;

/// <summary>
/// Draws a report's timeline as an SVG Gantt chart: one bar per step on a time axis measured from
/// the disaster, with the disaster and the recovered service marked. The recovery window (from the
/// disaster on) gets most of the width at a linear scale; what came before it (set-up, warm-up) is
/// squeezed into a narrow band marked as not to scale, so a second of recovery stays readable beside
/// minutes of preparation. Marker labels are stacked when they would overlap.
/// </summary>
public static class TimelineSvg
{
    const int Width = 960, LabelWidth = 300, RowHeight = 26, Top = 70, Right = 30, PreBand = 90;
    const double MarkerLabelWidth = 120;

    public static string Render(RecoveryReport report)
    {
        var steps = report.Timeline;
        var before = steps.Count == 0 ? 0 : Math.Min(0, steps.Min(s => s.Start.TotalSeconds));
        var end = Math.Max(report.ActualRto.TotalSeconds, steps.Count == 0 ? 0.001 : steps.Max(s => s.End.TotalSeconds));
        if (end < 0.001) end = 0.001;
        var hasBefore = before < 0;
        var zeroX = LabelWidth + (hasBefore ? PreBand : 0);
        var plot = Width - Right - zeroX;
        // Linear from the disaster on; the time before it maps into the fixed band left of zero.
        double X(double seconds) => seconds >= 0
            ? zeroX + seconds / end * plot
            : zeroX - (seconds / before) * PreBand;
        var height = Top + steps.Count * RowHeight + 56;

        var svg = new StringBuilder();
        svg.AppendLine($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine($"""<rect width="{Width}" height="{height}" fill="white"/>""");
        svg.AppendLine($"""<text x="10" y="20" font-size="15" font-weight="bold">{Escape(report.Title)}: RTO {F(report.ActualRto.TotalSeconds)} s; data loss {Escape(Loss(report.DataLoss))}</text>""");
        if (hasBefore)
        {
            svg.AppendLine($"""<rect x="{LabelWidth}" y="{Top - 4}" width="{PreBand}" height="{steps.Count * RowHeight + 8}" fill="#f2f2f2"/>""");
            svg.AppendLine($"""<text x="{LabelWidth + PreBand / 2}" y="{Top + steps.Count * RowHeight + 42}" text-anchor="middle" fill="#777">before (not to scale)</text>""");
        }
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var y = Top + i * RowHeight;
            var x = X(step.Start.TotalSeconds);
            var w = Math.Max(2, X(step.End.TotalSeconds) - x);
            var colour = !step.Succeeded ? "#d62728" : step.End <= TimeSpan.Zero ? "#9e9e9e" : "#1f77b4";
            svg.AppendLine($"""<text x="10" y="{y + 16}">{Escape(step.Name)}</text>""");
            svg.AppendLine($"""<rect x="{F(x)}" y="{y + 4}" width="{F(w)}" height="{RowHeight - 8}" fill="{colour}"><title>{Escape(step.Name)}: {F(step.Duration.TotalMilliseconds)} ms — {Escape(step.Detail)}</title></rect>""");
            var labelX = x + w + 4 > Width - 80 ? x - 4 : x + w + 4;
            var anchor = labelX < x ? "end" : "start";
            svg.AppendLine($"""<text x="{F(labelX)}" y="{y + 16}" text-anchor="{anchor}" fill="#333">{Duration(step.Duration)}</text>""");
        }
        var axisY = Top + steps.Count * RowHeight + 10;
        svg.AppendLine($"""<line x1="{LabelWidth}" y1="{axisY}" x2="{Width - Right}" y2="{axisY}" stroke="#333"/>""");
        for (var t = 0; t <= 4; t++)
        {
            var seconds = end * t / 4;
            svg.AppendLine($"""<text x="{F(X(seconds))}" y="{axisY + 16}" text-anchor="middle">{F(seconds)} s</text>""");
        }
        var markers = new List<(double X, string Colour, string Label)>
        {
            (X(0), "#d62728", "disaster"),
            (X(report.ActualRto.TotalSeconds), "#2ca02c", $"service verified ({F(report.ActualRto.TotalSeconds)} s)"),
        };
        foreach (var (x, colour, label, row) in Stack(markers))
            Marker(svg, x, Top - 8 - row * 16, axisY, colour, label);
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>Gives each marker label a row so that no two labels on one row overlap.</summary>
    internal static IReadOnlyList<(double X, string Colour, string Label, int Row)> Stack(IReadOnlyList<(double X, string Colour, string Label)> markers)
    {
        var placed = new List<(double X, string Colour, string Label, int Row)>();
        foreach (var m in markers.OrderBy(m => m.X))
        {
            var row = 0;
            while (placed.Any(p => p.Row == row && Math.Abs(p.X - m.X) < MarkerLabelWidth)) row++;
            placed.Add((m.X, m.Colour, m.Label, row));
        }
        return placed;
    }

    static void Marker(StringBuilder svg, double x, double labelY, int bottom, string colour, string label)
    {
        svg.AppendLine($"""<line x1="{F(x)}" y1="{F(labelY + 4)}" x2="{F(x)}" y2="{bottom}" stroke="{colour}" stroke-dasharray="4 3"/>""");
        var nearRightEdge = x > Width - MarkerLabelWidth - 10;
        svg.AppendLine($"""<text x="{F(nearRightEdge ? x - 3 : x + 3)}" y="{F(labelY)}" text-anchor="{(nearRightEdge ? "end" : "start")}" fill="{colour}">{Escape(label)}</text>""");
    }

    static string Loss(DataLoss loss) => loss.Kind switch
    {
        DataLossKind.Measured => $"{loss.LostCommits} {loss.Unit}s, {DataLoss.Span(loss.Window!.Value)} (measured)",
        DataLossKind.UpperBound => $"≤ {DataLoss.Span(loss.Window!.Value)} (upper bound)",
        _ => "unknown",
    };

    static string Duration(TimeSpan t) => t.TotalSeconds >= 10 ? $"{t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s" : $"{t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
    static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
    static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
