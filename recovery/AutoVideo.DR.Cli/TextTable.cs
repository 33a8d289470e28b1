using System.Text;

namespace AutoVideo.DR.Cli;

/// <summary>A plain, aligned text table for terminal output.</summary>
public sealed class TextTable(params string[] headers)
{
    readonly List<string[]> rows = [];

    public void Add(params string[] cells) => rows.Add(cells);

    public string Render()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            text.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Line(headers);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var row in rows) Line(row);
        return text.ToString();
    }
}
