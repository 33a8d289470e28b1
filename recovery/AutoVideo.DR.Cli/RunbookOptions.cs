using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Runbooks;
using AutoVideo.DR.Recovery.Stacks;

namespace AutoVideo.DR.Cli;

/// <summary>
/// What failover and failback share: which target the runbook drives (the local environment, or
/// the Pulumi stacks with --stack), who declares the run, the dry run, and running it.
/// </summary>
public static class RunbookOptions
{
    public static readonly Option<string?> Stack = new("--stack") { Description = "drive the Pulumi stacks: the standby stack to promote (e.g. dr) instead of the local environment" };
    public static readonly Option<string> PeerStack = new("--peer-stack") { Description = "with --stack: the other stack (default: prod)", DefaultValueFactory = _ => "prod" };
    public static readonly Option<bool> Local = new("--local") { Description = "use the local environment in --workdir (the default)" };
    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "print the steps that would run, in order, and change nothing" };
    public static readonly Option<string> DeclaredBy = new("--declared-by")
    {
        Description = "who declares the disaster (DR commander; default: $USER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : Environment.UserName,
    };
    public const string WebhookVariable = "AUTOVIDEO_DR_WEBHOOK";
    public static readonly Option<string?> Webhook = new("--webhook") { Description = $"POST the post-incident report as JSON to this URL at the end (better: set ${WebhookVariable}, which stays out of the process list; the journal keeps only its host)" };
    public static readonly Option<bool> SecurityBreach = new("--security-breach") { Description = "abandon the primary although it answers (a breach): fenced and replaced like a failed one" };
    public static readonly Option<bool> Planned = new("--planned") { Description = "a planned switchover of a healthy environment: writes stop, the standby catches up, then it is promoted; nothing is lost" };

    public static void AddTo(Command command)
    {
        foreach (var option in new Option[] { Stack, PeerStack, Local, DryRun, DeclaredBy, Webhook, SecurityBreach, Planned }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if (result.GetValue(SecurityBreach) && result.GetValue(Planned))
                result.AddError("--security-breach and --planned exclude each other; accepted: one of them, or neither for a disaster the probes see");
        });
    }

    /// <summary>Who declares, why, and where the report goes; the webhook from --webhook, else the environment.</summary>
    public static RunRequest Request(ParseResult parse, string? restoreFrom = null) => new(
        parse.GetValue(DeclaredBy)!,
        parse.GetValue(Webhook) ?? (Environment.GetEnvironmentVariable(WebhookVariable) is { Length: > 0 } url ? url : null),
        parse.GetValue(Planned) ? Declaration.Planned : parse.GetValue(SecurityBreach) ? Declaration.SecurityBreach : Declaration.Disaster,
        restoreFrom);

    /// <summary>The local environment, or the stacks when --stack is given; and where runs are journaled.</summary>
    /// <summary>The runbook target (the local environment, or the stacks with --stack), the engines it restores from, and where its journals go.</summary>
    public static (IRunbookTarget Target, RestoreSources Restore, string JournalDirectory) Target(CliContext context, ParseResult parse)
    {
        var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
        var directory = Journal.DirectoryIn(workDirectory);
        if (parse.GetValue(Stack) is not { } stack)
        {
            // No run is started (nor journaled) for an environment that does not exist.
            LocalEnvironmentState.Load(workDirectory);
            return (new LocalRunbookTarget(workDirectory, context.Loggers), LocalRunbookTarget.RestoreSources(workDirectory, context.Loggers), directory);
        }
        if (parse.GetValue(Local)) throw new RecoveryException("--local and --stack exclude each other; accepted: one of them (the local environment is the default)");
        var peer = parse.GetValue(PeerStack)!;
        if (peer == stack) throw new RecoveryException($"--stack and --peer-stack are both '{stack}'; accepted: the standby stack and its peer, e.g. --stack dr --peer-stack prod");
        return (new StackRunbookTarget(context.Stacks(), stack, peer, context.Progress),
            StackRunbookTarget.RestoreSources(context.Stacks(), stack, peer, context.Progress, context.Loggers), directory);
    }

    /// <summary>
    /// Prints the plan (--dry-run: the steps, and for a failover the assessment's view of what each
    /// source would lose, read-only) or runs it under the executor and prints the incident.
    /// </summary>
    public static async Task<int> PlanOrRunAsync(CliContext context, ParseResult parse, Runbook runbook, string directory, RunRequest request,
        Func<CancellationToken, Task<string>>? preview, CancellationToken ct)
    {
        var json = parse.GetValue(GlobalOptions.Json);
        if (parse.GetValue(DryRun))
        {
            var unfinished = Incident.Unfinished(directory)?.Incident;
            // Said before anything else is asked: the run itself would be refused at once.
            var refused = unfinished is null ? null : RunbookExecutor.Blocked(unfinished, runbook, request);
            if (refused is not null) context.Progress($"warning: this run would be refused: {refused}");
            string? sources = null;
            if (preview is not null)
            {
                try { sources = await preview(ct); }
                catch (RecoveryException e) { sources = $"the assessment would stop the run: {e.Message}"; }
            }
            if (json)
                JsonOutput.Write(context, new
                {
                    runbook = runbook.Name, level = runbook.Level, target = runbook.Target, declared = request.Declared, refused, sources,
                    steps = runbook.Steps.Select((s, i) => new { number = i + 1, s.Id, s.Title, s.Description, timeoutSeconds = s.Timeout.TotalSeconds }),
                });
            else
            {
                context.Out.Write(RunbookPlan.Render(runbook, unfinished));
                if (sources is not null) context.Out.WriteLine($"assessment now: {sources}");
                if (refused is not null) context.Out.WriteLine($"refused now: {refused}");
            }
            return 0;
        }
        var executor = new RunbookExecutor(directory, context.Logger<RunbookExecutor>(), context.Progress);
        var incident = await executor.RunAsync(runbook, request, ct);
        IncidentCommands.Print(context, incident, json);
        return 0;
    }
}
