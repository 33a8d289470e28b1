using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>Where a step of a run stands, as its journal tells it.</summary>
public enum StepOutcome
{
    Pending,
    Started,
    Completed,
    Skipped,
    Failed,
}

/// <summary>Where a run stands: running (or interrupted, to resume), failed at a step, completed, or aborted by the operator.</summary>
public enum IncidentStatus
{
    Running,
    Failed,
    Completed,
    Aborted,
}

/// <summary>The one spelling of outcomes and statuses in text and JSON (lower case).</summary>
public static class Outcomes
{
    public static string Name(this StepOutcome outcome) => outcome.ToString().ToLowerInvariant();
    public static string Name(this IncidentStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>One step of a run as its journal tells it.</summary>
public sealed record StepRecord(int Number, string Id, StepOutcome Outcome, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Output, int Attempts);

/// <summary>A status update of the communication plan ("狀態更新"): when, by whom, what.</summary>
public sealed record StatusUpdate(DateTimeOffset At, string Author, string Text);

/// <summary>
/// The incident record the communication plan needs, read back from a run's journal: who
/// declared it and when, the level, each step's outcome, the status updates, and the recovery
/// time and data loss actually achieved.
/// </summary>
public sealed record Incident(
    RunHeader Header,
    DateTimeOffset DeclaredAt,
    IncidentStatus Status,
    IReadOnlyList<StepRecord> Steps,
    IReadOnlyList<StatusUpdate> Updates,
    IReadOnlyDictionary<string, string> Facts,
    DateTimeOffset? EndedAt,
    int Resumes)
{
    public static Incident From(IReadOnlyList<JournalEntry> entries)
    {
        var start = entries.FirstOrDefault(e => e.Kind == JournalKinds.RunStarted && e.Run is not null)
            ?? throw new RecoveryException("the run journal has no run-started line; it is not a journal of autovideo-dr");
        var header = start.Run!;
        var steps = header.Steps.Select((id, i) => new StepRecord(i + 1, id, StepOutcome.Pending, null, null, null, 0)).ToArray();
        var updates = new List<StatusUpdate>();
        var facts = new Dictionary<string, string>();
        var status = IncidentStatus.Running;
        DateTimeOffset? ended = null;
        var resumes = 0;
        foreach (var e in entries)
        {
            if (e.Step is { } n && n >= 1 && n <= steps.Length)
            {
                var s = steps[n - 1];
                steps[n - 1] = e.Kind switch
                {
                    JournalKinds.StepStarted => s with { Outcome = StepOutcome.Started, StartedAt = e.At, EndedAt = null, Attempts = s.Attempts + 1 },
                    JournalKinds.StepCompleted => s with { Outcome = StepOutcome.Completed, StartedAt = s.StartedAt ?? e.At, EndedAt = e.At, Output = e.Output },
                    JournalKinds.StepSkipped => s with { Outcome = StepOutcome.Skipped, StartedAt = s.StartedAt ?? e.At, EndedAt = e.At, Output = e.Output },
                    JournalKinds.StepFailed => s with { Outcome = StepOutcome.Failed, EndedAt = e.At, Output = e.Output },
                    _ => s,
                };
                if (e.Kind == JournalKinds.StepFailed) status = IncidentStatus.Failed;
                else if (e.Kind == JournalKinds.StepStarted) status = IncidentStatus.Running;
            }
            if (e.Facts is not null && e.Kind is JournalKinds.StepCompleted or JournalKinds.StepSkipped)
                foreach (var (k, v) in e.Facts) facts[k] = v;
            switch (e.Kind)
            {
                case JournalKinds.StatusUpdate when e.Output is not null:
                    updates.Add(new StatusUpdate(e.At, e.Author ?? "unknown", e.Output));
                    break;
                case JournalKinds.RunResumed:
                    resumes++;
                    status = IncidentStatus.Running;
                    break;
                case JournalKinds.RunCompleted:
                    status = IncidentStatus.Completed;
                    ended = e.At;
                    break;
                case JournalKinds.RunAborted:
                    status = IncidentStatus.Aborted;
                    ended = e.At;
                    break;
            }
        }
        return new Incident(header, start.At, status, steps, updates, facts, ended, resumes);
    }

    public bool IsFinished => Status is IncidentStatus.Completed or IncidentStatus.Aborted;

    /// <summary>Steps already done (completed or skipped): a resumed run continues after them.</summary>
    public bool IsDone(int stepNumber) => Steps[stepNumber - 1].Outcome is StepOutcome.Completed or StepOutcome.Skipped;

    /// <summary>Declaration to the end of the step that restored service (traffic switched or fully verified); null until it ends.</summary>
    public TimeSpan? ActualRto =>
        Steps.FirstOrDefault(s => s.Id == Header.ServiceRestoredBy && s.Outcome == StepOutcome.Completed)?.EndedAt is { } restored
            ? restored - DeclaredAt
            : null;

    /// <summary>The data loss the run measured or bounded; unknown until its measuring step has run.</summary>
    public DataLoss DataLoss =>
        DataLossFacts.Read(Facts) ?? DataLoss.Unknown("not measured: the run has not reached its data-loss step");

    /// <summary>The id of the step that brings the cache back (major runbook); its end is the cache's recovery.</summary>
    public const string CacheRestoredBy = "restore-cache";

    /// <summary>Whether this run recovered a failed cache (Redis) primary.</summary>
    public bool RecoveredCache => Header.Steps.Contains(CacheRestoredBy) && Facts.GetValueOrDefault(FactKeys.CacheDown) == "true";

    /// <summary>Declaration to the end of the cache's recovery; null when the run recovered no cache or has not yet.</summary>
    public TimeSpan? CacheRto =>
        Steps.FirstOrDefault(s => s.Id == CacheRestoredBy && s.Outcome == StepOutcome.Completed)?.EndedAt is { } restored
            ? restored - DeclaredAt
            : null;

    /// <summary>The cache's data loss as the run measured or bounded it; null when the run recovered no cache.</summary>
    public DataLoss? CacheDataLoss => !RecoveredCache ? null
        : DataLossFacts.Read(Facts, FactKeys.CachePrefix) ?? DataLoss.Unknown("not measured: the run has not reached its cache data-loss step") with { Unit = "write" };

    /// <summary>Reads the run with this id, or the latest run when no id is given.</summary>
    public static (Journal Journal, Incident Incident) Load(string directory, string? runId = null)
    {
        var journals = Journal.All(directory);
        var journal = runId is null
            ? journals.LastOrDefault() ?? throw new RecoveryException($"no incident has been recorded in {directory}; one starts with 'autovideo-dr failover'")
            : journals.FirstOrDefault(j => j.RunId == runId) ?? throw new RecoveryException($"no run '{runId}' in {directory}; see 'autovideo-dr incident status'");
        return (journal, From(journal.Read()));
    }

    /// <summary>The unfinished run of the directory, if any: the one a new failover must resume or the operator abort.</summary>
    public static (Journal Journal, Incident Incident)? Unfinished(string directory)
    {
        foreach (var journal in Journal.All(directory).Reverse())
        {
            var incident = From(journal.Read());
            if (!incident.IsFinished) return (journal, incident);
        }
        return null;
    }
}
