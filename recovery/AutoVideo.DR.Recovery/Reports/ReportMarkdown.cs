using AutoVideo.DR.Recovery.Objectives;
using System.Globalization;
using System.Text;

namespace AutoVideo.DR.Recovery.Reports;

/// <summary>Renders a recovery report in the plan's "DR 測試報告" template, followed by its evidence.</summary>
public static class ReportMarkdown
{
    public static string Render(RecoveryReport report, string timelineImage)
    {
        var text = new StringBuilder();
        text.AppendLine($"# DR 測試報告");
        text.AppendLine();
        text.AppendLine($"**測試日期**: {report.Date.UtcDateTime:yyyy-MM-dd}  ");
        text.AppendLine($"**測試類型**: {TypeName(report.Type)} ({report.Scenario})  ");
        text.AppendLine($"**測試負責人**: {report.Owner}  ");
        text.AppendLine($"**環境 (environment)**: {report.Environment}  ");
        text.AppendLine($"**災難等級 (level)**: {report.Objective.Name}  ");
        text.AppendLine($"**結果 (result)**: {(report.Passed ? "PASSED" : "FAILED")}");
        text.AppendLine();
        text.AppendLine("## 測試結果");
        text.AppendLine($"- **目標 RTO**: {Hours(report.Objective.Rto)} 小時");
        text.AppendLine($"- **實際恢復時間**: {Hours(report.ActualRto)} 小時 ({Seconds(report.ActualRto)} s) {Mark(report.RtoMet)}");
        text.AppendLine($"- **目標 RPO**: {Minutes(report.Objective.Rpo)} 分鐘");
        text.AppendLine($"- **實際數據遺失**: {Loss(report.DataLoss)} {Mark(report.RpoMet)}");
        text.AppendLine();
        text.AppendLine("## 測試檢核表");
        foreach (var item in report.Checklist)
            text.AppendLine($"- [{(item.Checked ? "x" : " ")}] {item.Text} — {item.Evidence}");
        text.AppendLine();
        text.AppendLine("## 時間軸 (timeline)");
        text.AppendLine();
        text.AppendLine($"![timeline]({timelineImage})");
        text.AppendLine();
        text.AppendLine("| # | step | start (s from disaster) | duration (ms) | outcome | detail |");
        text.AppendLine("|---|---|---:|---:|---|---|");
        var i = 1;
        foreach (var step in report.Timeline)
            text.AppendLine($"| {i++} | {Cell(step.Name)} | {Seconds(step.Start)} | {step.Duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} | {(step.Succeeded ? "ok" : "FAILED")} | {Cell(step.Detail)} |");
        if (report.Verification.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## 數據驗證 (data verification)");
            text.AppendLine();
            text.AppendLine("| table | expected rows | found | missing | mismatched | expected fingerprint | actual fingerprint | result |");
            text.AppendLine("|---|---:|---:|---:|---:|---|---|---|");
            foreach (var v in report.Verification)
                text.AppendLine($"| {v.Table} | {v.ExpectedRows} | {v.FoundRows} | {v.MissingRows} | {v.MismatchedRows} | `{v.ExpectedFingerprint}` | `{v.ActualFingerprint}` | {(v.Passed ? "ok" : "FAILED")} |");
        }
        foreach (var section in report.Sections ?? [])
        {
            text.AppendLine();
            text.AppendLine($"## {section.Heading}");
            text.AppendLine();
            foreach (var line in section.Lines) text.AppendLine($"- {line}");
        }
        text.AppendLine();
        text.AppendLine("## 發現問題");
        Numbered(text, report.Problems, "無 (none found)");
        text.AppendLine();
        text.AppendLine("## 改進建議");
        Numbered(text, report.Suggestions, "無 (none)");
        return text.ToString();
    }

    public static string TypeName(TestType type) => type switch
    {
        TestType.BackupRestore => "備份恢復",
        TestType.Failover => "故障切換",
        _ => "完整演練",
    };

    static void Numbered(StringBuilder text, IReadOnlyList<string> lines, string none)
    {
        if (lines.Count == 0) text.AppendLine($"1. {none}");
        for (var i = 0; i < lines.Count; i++) text.AppendLine($"{i + 1}. {lines[i]}");
    }

    static string Mark(bool met) => met ? "✅ (within target)" : "❌ (target missed)";
    static string Mark(bool? met) => met is { } known ? Mark(known) : "❔ (not shown to be within target)";

    /// <summary>The 實際數據遺失 line: the count first when commits were lost, minutes at a resolution that never shows a loss as 0, and how it is known.</summary>
    static string Loss(DataLoss loss) => loss.Kind switch
    {
        DataLossKind.Measured when loss.LostCommits > 0 =>
            $"{loss.LostCommits} acknowledged {loss.Unit}{(loss.LostCommits == 1 ? "" : "s")} lost, spanning {NonZeroMinutes(loss.Window!.Value)} 分鐘 ({DataLoss.Span(loss.Window!.Value)}); measured: {loss.Basis}",
        DataLossKind.Measured => $"0 分鐘 (0 {loss.Unit}s lost; measured: {loss.Basis})",
        DataLossKind.UpperBound => $"≤ {NonZeroMinutes(loss.Window!.Value)} 分鐘 ({DataLoss.Span(loss.Window!.Value)}; upper bound: {loss.Basis})",
        _ => $"unknown ({loss.Basis})",
    };

    static string NonZeroMinutes(TimeSpan t)
    {
        var minutes = t.TotalMinutes;
        if (minutes <= 0) return "0";
        var decimals = Math.Clamp(1 - (int)Math.Floor(Math.Log10(minutes)), 2, 9);
        return minutes.ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture);
    }
    static string Cell(string s) => s.Replace("|", "\\|").ReplaceLineEndings(" ");
    static string Hours(TimeSpan t) => t.TotalHours.ToString(t.TotalHours >= 0.1 ? "0.##" : "0.#####", CultureInfo.InvariantCulture);
    static string Minutes(TimeSpan t) => t.TotalMinutes.ToString(t.TotalMinutes >= 1 ? "0.##" : "0.####", CultureInfo.InvariantCulture);
    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
