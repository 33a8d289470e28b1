using System.Text;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>
/// The post-incident report ("事後報告" of the communication plan), in the drill report's format:
/// the Reports writer's "DR 測試報告" template with the RTO and RPO achieved, the timeline of the
/// run's steps and its SVG, followed by the status updates. Written beside the run's journal and,
/// when the run names a webhook, posted there as JSON.
/// </summary>
public sealed class IncidentReport(string directory)
{
    public string MarkdownPath(string runId) => Path.Combine(directory, runId + "-report.md");

    /// <summary>Writes the report and, when <paramref name="webhook"/> is given, posts it there.</summary>
    public async Task<string> WriteAsync(Incident incident, string? webhook, CancellationToken ct)
    {
        var report = ToRecoveryReport(incident, DateTimeOffset.UtcNow);
        var files = await RecoveryReportWriter.WriteAsync(report, directory, incident.Header.RunId + "-report", ct);
        await File.AppendAllTextAsync(files.Markdown, UpdatesSection(incident), ct);
        var written = $"report {files.Markdown} (RTO {report.ActualRto.TotalSeconds:0.0} s; data loss {report.DataLoss.Describe()})";
        if (webhook is { } url)
            written += "; " + await IncidentWebhook.PostAsync(url, incident, await File.ReadAllTextAsync(files.Markdown, ct), ct);
        return written;
    }

    public static RecoveryReport ToRecoveryReport(Incident incident, DateTimeOffset now)
    {
        var h = incident.Header;
        var timeline = incident.Steps.Where(s => s.StartedAt is not null).Select(s => new TimelineStep(
            s.Id,
            s.StartedAt!.Value - incident.DeclaredAt,
            (s.EndedAt ?? now) - s.StartedAt!.Value,
            s.Outcome is StepOutcome.Completed or StepOutcome.Skipped || s.Id == "report",
            $"{s.Outcome.Name()}: {s.Output}")).ToList();
        var allDone = incident.Steps.All(s => s.Outcome is StepOutcome.Completed or StepOutcome.Skipped || s.Id == "report");
        var restore = incident.Steps.FirstOrDefault(s => s.Id == "restore-data");
        var verified = incident.Steps.Where(s => s.Id.Contains("verif") && s.Outcome == StepOutcome.Completed).ToList();
        var rto = incident.ActualRto ?? now - incident.DeclaredAt;
        var objective = h.Level is { } level ? RecoveryObjective.For(level) : RecoveryObjective.PlannedFailback;
        var checklist = new List<ChecklistItem>
        {
            new("驗證備份檔案完整性", restore?.Outcome == StepOutcome.Completed, restore is null ? "no restore in this runbook" : $"{restore.Outcome.Name()}: {restore.Output}"),
            new("測試恢復程序", allDone, $"{incident.Steps.Count(s => s.Outcome is StepOutcome.Completed or StepOutcome.Skipped)} of {incident.Steps.Count} steps done"),
            new("確認恢復時間符合 RTO", objective.RtoMet(rto), $"{rto.TotalSeconds:0.0} s against {objective.Rto.TotalHours:0.#} h"),
            new("確認數據遺失符合 RPO", incident.DataLoss.Met(objective) == true && (incident.CacheDataLoss is not { } cacheLoss || cacheLoss.Met(objective) == true),
                $"{incident.DataLoss.Describe()}{(incident.CacheDataLoss is { } cache ? $"; cache: {cache.Describe()}" : "")} against {objective.Rpo.TotalMinutes:0.#} min"),
            new("驗證恢復數據完整性", verified.Count > 0, verified.Count > 0 ? string.Join("; ", verified.Select(v => v.Output)) : "not verified"),
            new("測試備用環境功能", verified.Count > 0, verified.Count > 0 ? "the promoted environment accepted a write and a read" : "not verified"),
        };
        var problems = incident.Steps.Where(s => s.Attempts > 1).Select(s => $"step {s.Id} was started {s.Attempts} times (interrupted or failed, then resumed)")
            .Concat(incident.Resumes > 0 ? [$"the run was resumed {incident.Resumes} time(s) after an interruption"] : [])
            .Concat(incident.DataLoss.Kind == DataLossKind.Measured ? [] : [$"the data loss is not measured: {incident.DataLoss.Describe()}"])
            .Concat(incident.CacheDataLoss is { Kind: not DataLossKind.Measured } unmeasured ? [$"the cache's data loss is not measured: {unmeasured.Describe()}"] : [])
            .ToList();
        return new RecoveryReport(
            Title: $"{h.Runbook} {h.RunId}",
            Date: incident.DeclaredAt,
            Type: TestType.Failover,
            Scenario: $"{h.Runbook} declared by {h.DeclaredBy}{(h.Level is null ? " (planned)" : "")}",
            Owner: h.DeclaredBy,
            Environment: h.Target,
            Objective: objective,
            ActualRto: rto,
            DataLoss: incident.DataLoss,
            Timeline: timeline,
            Checklist: checklist,
            Verification: [],
            Problems: problems,
            Suggestions: ["review this timeline at the post-incident review (事後檢討) and record improvements here"],
            Sections: incident.RecoveredCache ? [CacheSection(incident)] : null);
    }

    /// <summary>The cache's own recovery beside the database's: how it came back, when, and what it lost.</summary>
    static ReportSection CacheSection(Incident incident) => new("快取 (Redis)",
    [
        $"cache primary {incident.Facts.GetValueOrDefault(FactKeys.CachePrimary)} down; {incident.Facts.GetValueOrDefault(FactKeys.CacheChoice) ?? "no recovery source recorded"}",
        $"cache recovered (end of {Incident.CacheRestoredBy}): {(incident.CacheRto is { } rto ? $"{rto.TotalSeconds:0.0} s after the declaration" : "not yet")}; serving: {incident.Facts.GetValueOrDefault(FactKeys.CacheServing) ?? "not recorded"}",
        $"cache data loss: {incident.CacheDataLoss!.Describe()}",
    ]);

    static string UpdatesSection(Incident incident)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("## 狀態更新 (status updates)");
        text.AppendLine();
        text.AppendLine($"- {incident.DeclaredAt:yyyy-MM-dd HH:mm:ss}Z {incident.Header.DeclaredBy}: declared {incident.Header.Runbook}{(incident.Header.Level is { } l ? $" (level {l.Name()})" : "")}");
        foreach (var u in incident.Updates) text.AppendLine($"- {u.At:yyyy-MM-dd HH:mm:ss}Z {u.Author}: {u.Text}");
        return text.ToString();
    }
}
