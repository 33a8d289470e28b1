using System.CommandLine;
using System.Text.Json;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Runbooks;
using AutoVideo.DR.Recovery.Stacks;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr failover --level critical|major|minor: runs the level's runbook, journaled and
/// resumable, against the local environment (default) or the Pulumi stacks (--stack).
/// The target options and the run/plan output are shared with failback.
/// </summary>
public static class FailoverCommand
{
    internal static readonly Option<string?> Stack = new("--stack") { Description = "drive the Pulumi stacks: the standby stack to promote (e.g. dr) instead of the local environment" };
    internal static readonly Option<string> PeerStack = new("--peer-stack") { Description = "with --stack: the other stack (default: prod)", DefaultValueFactory = _ => "prod" };
    internal static readonly Option<bool> Local = new("--local") { Description = "use the local environment in --workdir (the default)" };
    internal static readonly Option<bool> DryRun = new("--dry-run") { Description = "print the steps that would run, in order, and change nothing" };
    internal static readonly Option<string> DeclaredBy = new("--declared-by")
    {
        Description = "who declares the disaster (DR commander; default: $USER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : Environment.UserName,
    };
    internal static readonly Option<string?> Webhook = new("--webhook") { Description = "POST the post-incident report as JSON to this URL at the end" };

    public static Command Create(CliContext context)
    {
        var level = new Option<string>("--level") { Description = "the disaster level: critical | major | minor", Required = true };
        var failover = new Command("failover", "run the recovery runbook of a disaster level (journaled; run it again to resume)")
        {
            level, Stack, PeerStack, Local, DryRun, DeclaredBy, Webhook,
        };
        failover.SetAction(async (parse, ct) =>
        {
            var disaster = DisasterLevels.Parse(parse.GetValue(level)!);
            var (target, directory) = Target(context, parse);
            var runbook = RunbookCatalog.Failover(disaster, target, new BackupDataRestore(context.Loggers), new IncidentReport(directory));
            return await PlanOrRunAsync(context, parse, runbook, directory, ct);
        });
        return failover;
    }

    /// <summary>The local environment, or the stacks when --stack is given; and where runs are journaled.</summary>
    internal static (IRunbookTarget Target, string JournalDirectory) Target(CliContext context, ParseResult parse)
    {
        var directory = Journal.DirectoryIn(parse.GetValue(GlobalOptions.WorkDirectory)!);
        if (parse.GetValue(Stack) is not { } stack)
        {
            // No run is started (nor journaled) for an environment that does not exist.
            Recovery.Local.LocalEnvironmentState.Load(parse.GetValue(GlobalOptions.WorkDirectory)!);
            return (new LocalRunbookTarget(parse.GetValue(GlobalOptions.WorkDirectory)!, context.Loggers), directory);
        }
        if (parse.GetValue(Local)) throw new RecoveryException("--local and --stack exclude each other; accepted: one of them (the local environment is the default)");
        var peer = parse.GetValue(PeerStack)!;
        if (peer == stack) throw new RecoveryException($"--stack and --peer-stack are both '{stack}'; accepted: the standby stack and its peer, e.g. --stack dr --peer-stack prod");
        var driver = new StackDriver(PulumiExecutable.Locate(), null, context.Logger<StackDriver>());
        return (new StackRunbookTarget(driver, stack, peer, context.Progress), directory);
    }

    internal static async Task<int> PlanOrRunAsync(CliContext context, ParseResult parse, Runbook runbook, string directory, CancellationToken ct)
    {
        var json = parse.GetValue(GlobalOptions.Json);
        if (parse.GetValue(DryRun))
        {
            var unfinished = Incident.Unfinished(directory)?.Incident;
            if (json)
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    runbook = runbook.Name, level = runbook.Level?.Name(), target = runbook.Target,
                    steps = runbook.Steps.Select((s, i) => new { number = i + 1, s.Id, s.Title, s.Description, timeoutSeconds = s.Timeout.TotalSeconds }),
                }, HealthCommands.Json));
            else context.Out.Write(RunbookPlan.Render(runbook, unfinished));
            return 0;
        }
        var executor = new RunbookExecutor(directory, context.Logger<RunbookExecutor>(), context.Progress);
        var incident = await executor.RunAsync(runbook, new RunRequest(parse.GetValue(DeclaredBy)!, parse.GetValue(Webhook)), ct);
        IncidentCommands.Print(context, incident, json);
        return 0;
    }
}
