using System.CommandLine;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Runbooks;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr failover --level critical|major|minor: runs the level's runbook, journaled and
/// resumable, against the local environment (default) or the Pulumi stacks (--stack).
/// </summary>
public static class FailoverCommand
{
    /// <summary>Parsed here, once: a bad level is a usage error (exit 2) and the rest of the program sees the enum.</summary>
    static readonly Option<DisasterLevel> Level = new("--level")
    {
        Description = "the disaster level: critical | major | minor",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (DisasterLevels.TryParse(text) is { } level) return level;
            result.AddError($"--level '{text}' is not a disaster level; accepted: critical, major, minor");
            return default;
        },
    };

    public static Command Create(CliContext context)
    {
        var failover = new Command("failover", "run the recovery runbook of a disaster level (journaled; run it again to resume)") { Level };
        RunbookOptions.AddTo(failover);
        failover.SetAction(async (parse, ct) =>
        {
            var (target, directory) = RunbookOptions.Target(context, parse);
            var runbook = RunbookCatalog.Failover(parse.GetValue(Level), target, new BackupDataRestore(context.Loggers), new IncidentReport(directory));
            return await RunbookOptions.PlanOrRunAsync(context, parse, runbook, directory, ct);
        });
        return failover;
    }
}
