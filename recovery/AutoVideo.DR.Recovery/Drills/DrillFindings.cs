using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// What a finished failover drill measured, from which the checklist, problems and suggestions
/// follow. <see cref="Loss"/> is the ledger's (measured); <see cref="RunbookLoss"/> is what the
/// runbook itself recorded without the ledger, the figure a real failover would report.
/// </summary>
public sealed record DrillMeasurements(
    IReadOnlyList<TimelineStep> Timeline,
    TimeSpan Rto,
    TimeSpan DetectionTime,
    DetectionMethod Detection,
    RpoResult Rpo,
    DataLoss Loss,
    IReadOnlyList<TableVerification> Verification,
    WalArchiveCheck Archive,
    long FailedClientAttempts,
    TimeSpan ClientOutage,
    bool RtoMet,
    bool RpoMet,
    bool StandbyLeft,
    string? BackupEvidence,
    DataLoss RunbookLoss,
    string? RunbookFailure);

/// <summary>
/// Fills the plan's checklist ("測試檢核表") from what the drill actually checked, and derives the
/// problems found and improvement suggestions from the measurements: nothing here is boilerplate.
/// </summary>
public static class DrillFindings
{
    /// <summary>The unit of a cache's data loss (acknowledged SETs): the figures are the cache's, not the database's.</summary>
    const string Cache = "write";

    public static IReadOnlyList<ChecklistItem> Checklist(DrillMeasurements m)
    {
        var stepsOk = m.RunbookFailure is null && m.Timeline.All(s => s.Succeeded);
        var dataOk = m.Verification.Count > 0 && m.Verification.All(v => v.Passed) && m.Rpo.PartialCommits == 0;
        var rows = m.Verification.Sum(v => v.FoundRows);
        var unit = m.Loss.Unit;
        return
        [
            m.BackupEvidence is { } backup
                ? new("驗證備份檔案完整性 (backup files intact)", true, backup)
                : new("驗證備份檔案完整性 (backup files intact)", m.Archive.Intact, $"WAL archive: {m.Archive.Describe()}"),
            new("測試恢復程序 (recovery procedure)", stepsOk, stepsOk ? $"all {m.Timeline.Count} steps succeeded, the runbook's included" : m.RunbookFailure ?? $"failed: {string.Join(", ", m.Timeline.Where(s => !s.Succeeded).Select(s => s.Name))}"),
            new("事件偵測 (failure detected within the plan's 5 minutes)", m.DetectionTime <= DrillOptions.DetectionTarget,
                $"{m.DetectionTime.TotalSeconds:0.0} s from the disaster, {(m.Detection == DetectionMethod.Alert ? "through the alert path (Prometheus → Alertmanager → on-call webhook)" : "by the drill's own probe loop (drill --detect alert rehearses the alert path)")}"),
            new("確認恢復時間符合 RTO (RTO met)", m.RtoMet, $"RTO {m.Rto.TotalSeconds:0.000} s"),
            new("確認數據遺失符合 RPO (RPO met)", m.RpoMet, m.Loss.Describe()),
            new("驗證恢復數據完整性 (restored data intact)", dataOk, dataOk
                ? $"{rows} rows in {m.Verification.Count} tables, of {m.Rpo.AcknowledgedCommits - m.Rpo.LostCommits} surviving acknowledged {unit}s{(unit == Cache ? " and the database's commits" : "")}, match in count and fingerprint"
                : $"{m.Verification.Sum(v => v.MissingRows)} rows missing, {m.Verification.Sum(v => v.MismatchedRows)} differ, {m.Rpo.PartialCommits} partial commits"),
            new("測試備用環境功能 (standby serves the workload)", stepsOk && m.Rpo.AcknowledgedCommits > 0, unit == Cache
                ? "the running cache workload wrote to the promoted cache replica through clients' cache endpoint"
                : "the running workload committed on the promoted standby through the multi-host connection string"),
        ];
    }

    public static (IReadOnlyList<string> Problems, IReadOnlyList<string> Suggestions) Derive(DrillMeasurements m)
    {
        var problems = new List<string>();
        var suggestions = new List<string>();
        if (m.RunbookFailure is { } failure) problems.Add($"the runbook failed: {failure}");
        foreach (var step in m.Timeline.Where(s => !s.Succeeded))
            problems.Add($"step '{step.Name}' failed: {step.Detail}");
        if (!m.RtoMet) problems.Add($"RTO {m.Rto.TotalSeconds:0.0} s exceeds the target, or service was not restored");
        if (m.Rpo.LostCommits > 0 && m.BackupEvidence is not null)
        {
            problems.Add($"{m.Rpo.LostCommits} acknowledged commits made after the backup's snapshot were lost with the replica: a restore loses everything newer than the backup");
            suggestions.Add("back up more often than the RPO, or replay the WAL archive on top of the restored backup (point-in-time recovery) to shrink what a restore loses");
        }
        else if (m.Rpo.LostCommits > 0)
        {
            problems.Add($"{m.Rpo.LostCommits} acknowledged {m.Loss.Unit}s were lost, spanning {DataLoss.Span(m.Rpo.Window)} before the disaster: replication is asynchronous");
            suggestions.Add(m.Loss.Unit == Cache
                ? "for cache data that must survive the loss of the primary, have clients WAIT for a replica's acknowledgement (WAIT 1 <ms>), or keep it in the database; the rest refills from the services"
                : "for data that must never be lost after acknowledgement, commit with synchronous_commit = remote_write and a synchronous standby (costs write latency)");
        }
        if (RunbookDisagrees(m) is { } disagreement) problems.Add(disagreement);
        if (m.Rpo.PartialCommits > 0)
            problems.Add($"{m.Rpo.PartialCommits} commits survived only in part: atomicity broken, investigate before trusting the new primary");
        foreach (var v in m.Verification.Where(v => !v.Passed))
            problems.Add($"table {v.Table}: {v.MissingRows} rows missing and {v.MismatchedRows} differing beyond the measured RPO");
        if (!m.Archive.Intact && m.BackupEvidence is null)
        {
            problems.Add($"WAL archive not intact: {m.Archive.Describe()}");
            suggestions.Add("check archive_command failures in the primary's log and the archive's free space");
        }
        if (m.Rpo.InDoubtApplied + m.Rpo.InDoubtLost > 0)
        {
            problems.Add($"{m.Rpo.InDoubtApplied + m.Rpo.InDoubtLost} commits were in doubt (connection lost during COMMIT): {m.Rpo.InDoubtApplied} were applied, {m.Rpo.InDoubtLost} were not");
            suggestions.Add("make client writes idempotent (client-chosen ids or idempotency keys) so in-doubt commits can be retried safely");
        }
        if (m.DetectionTime > DrillOptions.DetectionTarget)
            problems.Add($"detection took {m.DetectionTime.TotalSeconds:0} s, beyond the plan's 5 minutes");
        else if (m.Detection == DetectionMethod.Probe && m.DetectionTime > TimeSpan.FromSeconds(1))
            suggestions.Add($"detection took {m.DetectionTime.TotalMilliseconds:0} ms: probe more often or with a shorter connect timeout");
        if (m.Detection == DetectionMethod.Alert)
            suggestions.Add($"the alert path took {m.DetectionTime.TotalSeconds:0.0} s, most of it the database-down rule's for: (monitoring/alerts.yaml); shorten it only as far as a flapping scrape allows");
        if (m.FailedClientAttempts > 0)
            suggestions.Add($"clients were refused {m.FailedClientAttempts} times during {m.ClientOutage.TotalSeconds:0.000} s of outage: confirm every service retries writes with backoff as the drill workload does");
        if (m.StandbyLeft)
            suggestions.Add("the environment now runs without a standby: rejoin the fenced node ('autovideo-dr failback') to restore redundancy");
        return (problems, suggestions);
    }

    /// <summary>
    /// A real failover reports the runbook's own figure. The drill's ledger checks it: a measured figure
    /// must count what the ledger counts (the WAL also holds commits the clients never heard back about,
    /// so it may count more, never fewer); a bound must not be below the ledger's window.
    /// </summary>
    static string? RunbookDisagrees(DrillMeasurements m) => m.RunbookLoss.Kind switch
    {
        DataLossKind.Measured when m.RunbookLoss.LostCommits < m.Rpo.LostCommits =>
            $"the runbook measured {m.RunbookLoss.LostCommits} lost {m.Loss.Unit}s where the ledger counts {m.Rpo.LostCommits}: a real failover would under-report its data loss",
        DataLossKind.UpperBound when m.Rpo.LostCommits > 0 && m.RunbookLoss.Window < m.Rpo.Window - TimeSpan.FromMilliseconds(5) =>
            $"the runbook's upper bound ({DataLoss.Span(m.RunbookLoss.Window!.Value)}) is below the ledger's measured window ({DataLoss.Span(m.Rpo.Window)})",
        _ => null,
    };

    /// <summary>The drill's own section: the ledger behind the data-loss figure, and the runbook run it rehearsed.</summary>
    public static ReportSection LedgerSection(DrillMeasurements m, Incident run) => new("演練帳本 (the drill's ledger and the runbook it ran)",
    [
        $"acknowledged {m.Loss.Unit}s: {m.Rpo.AcknowledgedCommits}; missing after recovery: {m.Rpo.LostCommits}; in doubt: {m.Rpo.InDoubtApplied} applied, {m.Rpo.InDoubtLost} not; failed client attempts: {m.FailedClientAttempts}",
        $"data loss measured by the ledger: {m.Loss.Describe()}",
        $"data loss the runbook recorded on its own (what a real failover reports): {m.RunbookLoss.Describe()}",
        $"runbook {run.Header.Runbook}, run {run.Header.RunId} ({run.Status.Name()}), steps: {string.Join(", ", run.Steps.Select(s => $"{s.Id} ({s.Outcome.Name()})"))}",
        $"source chosen by the assessment: {run.Facts.GetValueOrDefault(m.Loss.Unit == Cache ? FactKeys.CacheChoice : FactKeys.Candidates) ?? "not recorded"}",
    ]);
}
