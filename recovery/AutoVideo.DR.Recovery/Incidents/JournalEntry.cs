using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>What one journal line records; <see cref="JournalEntry.Kind"/> is one of these.</summary>
public static class JournalKinds
{
    public const string RunStarted = "run-started";
    public const string RunResumed = "run-resumed";
    public const string StepStarted = "step-started";
    public const string StepCompleted = "step-completed";
    public const string StepSkipped = "step-skipped";
    public const string StepFailed = "step-failed";
    public const string StatusUpdate = "status-update";
    public const string RunCompleted = "run-completed";
    public const string RunAborted = "run-aborted";
}

/// <summary>Why a run was declared: a disaster the probes see, a security breach (abandon a primary that still answers), or a planned switchover.</summary>
public enum Declaration
{
    Disaster,
    SecurityBreach,
    Planned,
}

/// <summary>
/// The run as declared: written once, as the journal's first line. The webhook URL (often carrying
/// a token) is never written: only where it points (scheme, host, port) and its SHA-256, so a resumed
/// run can tell whether it is given the same one again.
/// </summary>
public sealed record RunHeader(
    string RunId,
    string Runbook,
    DisasterLevel? Level,
    string Target,
    string DeclaredBy,
    IReadOnlyList<string> Steps,
    string? ServiceRestoredBy = null,
    string? WebhookEndpoint = null,
    string? WebhookSha256 = null,
    Declaration Declared = Declaration.Disaster,
    string? RestoreFrom = null);

/// <summary>
/// One line of a run's journal. Only the fields that matter for its kind are set; the journal is
/// append-only, so a run's whole history (and where to resume) is the sequence of these.
/// </summary>
public sealed record JournalEntry(
    string Kind,
    DateTimeOffset At,
    int? Pid = null,
    RunHeader? Run = null,
    int? Step = null,
    string? StepId = null,
    string? Output = null,
    IReadOnlyDictionary<string, string>? Facts = null,
    string? Author = null);
