using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// Who runs the runbook and why, where the post-incident report goes, and (critical runbook) a
/// backup the operator orders restored instead of trusting the replica ("latest" or a name).
/// </summary>
public sealed record RunRequest(string DeclaredBy, string? Webhook = null, Declaration Declared = Declaration.Disaster, string? RestoreFrom = null)
{
    /// <summary>Where the webhook points, without its path or query (which often carry a token).</summary>
    public string? WebhookEndpoint => Webhook is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : Webhook is null ? null : "(not a URL)";

    public string? WebhookSha256 => Webhook is { } url ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url))) : null;
}

/// <summary>
/// Runs a runbook's steps in order under the run lock, journaling each step's start, end,
/// outcome and output. If the directory holds an unfinished run of the same runbook, it resumes
/// after the last step done and asks a started-but-unfinished step's check before acting again.
/// </summary>
public sealed class RunbookExecutor(string directory, ILogger<RunbookExecutor> logger, Action<string> progress)
{
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public async Task<Incident> RunAsync(Runbook runbook, RunRequest request, CancellationToken ct)
    {
        using var runLock = RunLock.Acquire(directory, $"autovideo-dr {runbook.Name} ({runbook.Target})");
        if (runLock.TookOverFrom is { } stale)
            progress($"took over the run lock of pid {stale.Pid} (started {stale.StartedAt:yyyy-MM-dd HH:mm:ss}Z), which no longer runs");

        var (journal, incident) = OpenRun(runbook, request);
        var context = new RunContext(runbook, journal, new Dictionary<string, string>(incident.Facts), request, progress);
        for (var i = 0; i < runbook.Steps.Count; i++)
        {
            var number = i + 1;
            var step = runbook.Steps[i];
            if (incident.IsDone(number))
            {
                progress($"step {number}/{runbook.Steps.Count} {step.Title}: {incident.Steps[i].Outcome.Name()} earlier, not repeated");
                continue;
            }
            await RunStepAsync(context, step, number, interrupted: incident.Steps[i].Outcome is StepOutcome.Started or StepOutcome.Failed, ct);
        }
        journal.Append(new JournalEntry(JournalKinds.RunCompleted, DateTimeOffset.UtcNow, Environment.ProcessId));
        logger.LogInformation("Run {RunId} completed", journal.RunId);
        return Incident.From(journal.Read());
    }

    (Journal, Incident) OpenRun(Runbook runbook, RunRequest request)
    {
        if (Incident.Unfinished(directory) is { } found)
        {
            var (journal, incident) = found;
            var header = incident.Header;
            if (Blocked(incident, runbook, request) is { } blocked) throw new RecoveryException(blocked);
            if (header.WebhookSha256 is { } sent && request.WebhookSha256 != sent)
                progress($"the run was declared with a webhook to {header.WebhookEndpoint}; {(request.Webhook is null ? "none is given now" : "a different one is given now")}: the report goes to {(request.Webhook is null ? "no webhook" : request.WebhookEndpoint)}");
            journal.Append(new JournalEntry(JournalKinds.RunResumed, DateTimeOffset.UtcNow, Environment.ProcessId));
            var done = incident.Steps.Where(s => incident.IsDone(s.Number)).Select(s => s.Id).ToList();
            progress($"resuming run {header.RunId} (declared by {header.DeclaredBy} at {incident.DeclaredAt:HH:mm:ss}Z); done: {(done.Count == 0 ? "nothing yet" : string.Join(", ", done))}");
            return (journal, incident);
        }
        // Milliseconds: two runs in one second (a refused minor, then major at once) must not share a journal.
        var runId = $"{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmssfff'Z'}-{runbook.Name}";
        var created = Journal.Create(directory, new RunHeader(runId, runbook.Name, runbook.Level, runbook.Target, request.DeclaredBy, runbook.StepIds, runbook.ServiceRestoredBy,
            request.WebhookEndpoint, request.WebhookSha256, request.Declared, request.RestoreFrom));
        progress($"run {runId}: {runbook.Name} on {runbook.Target}, declared by {request.DeclaredBy}; journal {created.Path}");
        return (created, Incident.From(created.Read()));
    }

    async Task RunStepAsync(RunContext context, RunbookStep step, int number, bool interrupted, CancellationToken ct)
    {
        var journal = context.Journal;
        var label = $"step {number}/{context.Runbook.Steps.Count} {step.Title}";
        if (step.SkipWhen?.Invoke(context) is { } reason)
        {
            journal.Append(new JournalEntry(JournalKinds.StepSkipped, DateTimeOffset.UtcNow, Environment.ProcessId, Step: number, StepId: step.Id, Output: reason));
            progress($"{label}: skipped ({reason})");
            CrashPoint.AfterStep(number);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(step.Timeout);
        try
        {
            if (interrupted)
            {
                // The action may have taken effect before the crash: never promote or restore twice.
                var before = await CheckOnceAsync(step, context, timeout.Token);
                if (before.TookEffect)
                {
                    journal.Append(new JournalEntry(JournalKinds.StepCompleted, DateTimeOffset.UtcNow, Environment.ProcessId, Step: number, StepId: step.Id, Output: $"already in effect: {before.Detail}"));
                    progress($"{label}: already in effect ({before.Detail}), not repeated");
                    CrashPoint.AfterStep(number);
                    return;
                }
            }
            journal.Append(new JournalEntry(JournalKinds.StepStarted, DateTimeOffset.UtcNow, Environment.ProcessId, Step: number, StepId: step.Id));
            progress($"{label} ...");
            logger.LogDebug("Step {Number} {Id}: action", number, step.Id);
            var outcome = await step.Action(context, timeout.Token);
            CrashPoint.InStep(number);
            foreach (var (k, v) in outcome.Facts ?? new Dictionary<string, string>()) context.Facts[k] = v;
            var check = await PollCheckAsync(step, context, timeout.Token);
            if (!check.TookEffect)
                throw new RecoveryException($"did not take effect within {step.Timeout.TotalSeconds:0.#} s: {check.Detail}");
            var output = outcome.Output.Contains(check.Detail) ? outcome.Output : $"{outcome.Output}; check: {check.Detail}";
            journal.Append(new JournalEntry(JournalKinds.StepCompleted, DateTimeOffset.UtcNow, Environment.ProcessId, Step: number, StepId: step.Id, Output: output, Facts: outcome.Facts));
            progress($"{label}: done ({output})");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var why = e is OperationCanceledException ? $"timed out after {step.Timeout.TotalSeconds:0.#} s" : e.Message;
            journal.Append(new JournalEntry(JournalKinds.StepFailed, DateTimeOffset.UtcNow, Environment.ProcessId, Step: number, StepId: step.Id, Output: why));
            if (context.Runbook.Steps.Take(number).All(s => s.ChangesNothing))
            {
                journal.Append(new JournalEntry(JournalKinds.RunAborted, DateTimeOffset.UtcNow, Environment.ProcessId, Output: $"step {number} ({step.Id}) failed before anything was changed", Author: "autovideo-dr"));
                throw new RecoveryException($"step {number} ({step.Id}) failed: {why}; nothing was changed (run {journal.RunId} closed)", e);
            }
            throw new RecoveryException($"step {number} ({step.Id}) failed: {why}; the run is journaled in {journal.Path}: run the same command again to resume at this step", e);
        }
        catch (OperationCanceledException)
        {
            journal.Append(new JournalEntry(JournalKinds.StepFailed, DateTimeOffset.UtcNow, Environment.ProcessId, Step: number, StepId: step.Id, Output: "interrupted by the operator"));
            throw;
        }
        CrashPoint.AfterStep(number);
    }

    static async Task<StepCheck> CheckOnceAsync(RunbookStep step, RunContext context, CancellationToken ct)
    {
        try { return await step.Check(context, ct); }
        catch (Exception e) when (e is not OperationCanceledException) { return StepCheck.No(e.Message); }
    }

    async Task<StepCheck> PollCheckAsync(RunbookStep step, RunContext context, CancellationToken ct)
    {
        while (true)
        {
            var check = await CheckOnceAsync(step, context, ct);
            if (check.TookEffect) return check;
            try { await Task.Delay(CheckInterval, ct); }
            catch (OperationCanceledException) { return check; }
        }
    }

    /// <summary>
    /// Why <paramref name="runbook"/> cannot run while <paramref name="unfinished"/> is open (another
    /// runbook, target or declaration): that run, and the commands that resume or abort it. Null when
    /// running it resumes that run. The dry run says the same before anything is asked of the operator.
    /// </summary>
    public static string? Blocked(Incident unfinished, Runbook runbook, RunRequest request)
    {
        var header = unfinished.Header;
        if (header.Runbook == runbook.Name && header.Target == runbook.Target && header.Steps.SequenceEqual(runbook.StepIds)
            && header.Declared == request.Declared && header.RestoreFrom == request.RestoreFrom)
            return null;
        var done = unfinished.Steps.Count(s => unfinished.IsDone(s.Number));
        return $"run {header.RunId} ({header.Runbook}{Options(header)} on {header.Target}, declared by {header.DeclaredBy} at {unfinished.DeclaredAt:yyyy-MM-dd HH:mm:ss}Z, " +
               $"{done} of {unfinished.Steps.Count} steps done) is unfinished; resume it with '{ResumeCommand(header)}', or end it with 'autovideo-dr incident abort \"reason\"'";
    }

    /// <summary>The command that resumes a run: the one that started it.</summary>
    static string ResumeCommand(RunHeader header)
    {
        var command = header.Runbook switch
        {
            "failback" => "autovideo-dr failback",
            "failback-switch-back" => "autovideo-dr failback --switch-back",
            _ when header.Level is { } level => $"autovideo-dr failover --level {level.Name()}",
            var other => $"autovideo-dr {other}",
        };
        var target = header.Target.StartsWith("local:", StringComparison.Ordinal) ? $" --workdir {header.Target["local:".Length..]}" : "";
        return command + Options(header) + target;
    }

    /// <summary>The options a run was declared with, as the command line spells them.</summary>
    static string Options(RunHeader header) =>
        (header.Declared switch { Declaration.Planned => " --planned", Declaration.SecurityBreach => " --security-breach", _ => "" })
        + (header.RestoreFrom is { } from ? $" --restore-from {from}" : "");
}
