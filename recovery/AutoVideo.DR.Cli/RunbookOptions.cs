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
    public static readonly Option<string?> Webhook = new("--webhook") { Description = "POST the post-incident report as JSON to this URL at the end" };

    public static void AddTo(Command command)
    {
        foreach (var option in new Option[] { Stack, PeerStack, Local, DryRun, DeclaredBy, Webhook }) command.Options.Add(option);
    }

    /// <summary>The local environment, or the stacks when --stack is given; and where runs are journaled.</summary>
    public static (IRunbookTarget Target, string JournalDirectory) Target(CliContext context, ParseResult parse)
    {
        var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
        var directory = Journal.DirectoryIn(workDirectory);
        if (parse.GetValue(Stack) is not { } stack)
        {
            // No run is started (nor journaled) for an environment that does not exist.
            LocalEnvironmentState.Load(workDirectory);
            return (new LocalRunbookTarget(workDirectory, context.Loggers), directory);
        }
        if (parse.GetValue(Local)) throw new RecoveryException("--local and --stack exclude each other; accepted: one of them (the local environment is the default)");
        var peer = parse.GetValue(PeerStack)!;
        if (peer == stack) throw new RecoveryException($"--stack and --peer-stack are both '{stack}'; accepted: the standby stack and its peer, e.g. --stack dr --peer-stack prod");
        return (new StackRunbookTarget(context.Stacks(), stack, peer, context.Progress), directory);
    }

    /// <summary>Prints the plan (--dry-run) or runs it under the executor and prints the incident.</summary>
    public static async Task<int> PlanOrRunAsync(CliContext context, ParseResult parse, Runbook runbook, string directory, CancellationToken ct)
    {
        var json = parse.GetValue(GlobalOptions.Json);
        if (parse.GetValue(DryRun))
        {
            var unfinished = Incident.Unfinished(directory)?.Incident;
            if (json)
                JsonOutput.Write(context, new
                {
                    runbook = runbook.Name, level = runbook.Level, target = runbook.Target,
                    steps = runbook.Steps.Select((s, i) => new { number = i + 1, s.Id, s.Title, s.Description, timeoutSeconds = s.Timeout.TotalSeconds }),
                });
            else context.Out.Write(RunbookPlan.Render(runbook, unfinished));
            return 0;
        }
        var executor = new RunbookExecutor(directory, context.Logger<RunbookExecutor>(), context.Progress);
        var incident = await executor.RunAsync(runbook, new RunRequest(parse.GetValue(DeclaredBy)!, parse.GetValue(Webhook)), ct);
        IncidentCommands.Print(context, incident, json);
        return 0;
    }
}
