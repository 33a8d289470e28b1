using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Reports;

/// <summary>One step of a recovery with its offset from the disaster (negative: before it) and how long it took.</summary>
public sealed record TimelineStep(string Name, TimeSpan Start, TimeSpan Duration, bool Succeeded, string Detail)
{
    public TimeSpan End => Start + Duration;
}

/// <summary>A line of the plan's test checklist ("測試檢核表"): checked when the run proved it, with the evidence.</summary>
public sealed record ChecklistItem(string Text, bool Checked, string Evidence);

/// <summary>One table compared after recovery: what should be there against what is.</summary>
public sealed record TableVerification(
    string Table,
    long ExpectedRows,
    long FoundRows,
    long MissingRows,
    long MismatchedRows,
    string ExpectedFingerprint,
    string ActualFingerprint,
    bool Passed);

/// <summary>A section a report adds after the template's own (e.g. a drill's ledger): a heading and its lines.</summary>
public sealed record ReportSection(string Heading, IReadOnlyList<string> Lines);

/// <summary>The kind of test, as the template names them: 備份恢復 / 故障切換 / 完整演練.</summary>
public enum TestType
{
    BackupRestore,
    Failover,
    FullDrill,
}

/// <summary>
/// Everything the plan's "DR 測試報告" template asks for, plus the evidence behind it: the
/// checklist, the timeline, the per-table verification. Drills and real incidents both end in one.
/// </summary>
public sealed record RecoveryReport(
    string Title,
    DateTimeOffset Date,
    TestType Type,
    string Scenario,
    string Owner,
    string Environment,
    RecoveryObjective Objective,
    TimeSpan ActualRto,
    DataLoss DataLoss,
    IReadOnlyList<TimelineStep> Timeline,
    IReadOnlyList<ChecklistItem> Checklist,
    IReadOnlyList<TableVerification> Verification,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Suggestions,
    IReadOnlyList<ReportSection>? Sections = null)
{
    public bool RtoMet => Objective.RtoMet(ActualRto);
    /// <summary>True or false when the loss is known; null when it is only bounded above the objective, or unknown.</summary>
    public bool? RpoMet => DataLoss.Met(Objective);

    /// <summary>Passed only on proof: an RPO that is not shown to be met is not a pass.</summary>
    public bool Passed => RtoMet && RpoMet == true && Timeline.All(s => s.Succeeded) && Verification.All(v => v.Passed);
}
