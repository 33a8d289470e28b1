using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.PointInTime;
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

    static readonly Option<string?> RestoreFrom = SourceOption("--restore-from",
        $"critical: the replica is not to be trusted (e.g. it replicated the damage): restore this into the standby instead: a backup (latest or a name), or a point in time ({RecoveryTarget.SourceForms}, e.g. a moment before the damage)");

    /// <summary>An option naming a source to restore from (a backup, or a point in time), checked by the parser: a bad name is a usage error.</summary>
    internal static Option<string?> SourceOption(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && RestoreSources.Problem(value) is { } problem) result.AddError($"{name} {problem}");
        });
        return option;
    }

    public static Command Create(CliContext context)
    {
        var failover = new Command("failover", "run the recovery runbook of a disaster level (journaled; run it again to resume)") { Level, RestoreFrom };
        RunbookOptions.AddTo(failover);
        failover.SetAction(async (parse, ct) =>
        {
            var level = parse.GetValue(Level);
            if (parse.GetValue(RestoreFrom) is not null && level != DisasterLevel.Critical)
                throw new RecoveryException($"--restore-from belongs to the critical runbook; the {level.Name()} runbook restores no backup");
            var (target, restore, directory) = RunbookOptions.Target(context, parse);
            var runbook = RunbookCatalog.Failover(level, target, restore, new IncidentReport(directory));
            var request = RunbookOptions.Request(parse, parse.GetValue(RestoreFrom));
            Func<CancellationToken, Task<string>>? preview = level switch
            {
                DisasterLevel.Critical => async token => (await RunbookSteps.ChooseSourceAsync(target, restore, await target.AssessAsync(token), request, DateTimeOffset.UtcNow, token)).Candidates,
                // The major runbook's own choice is the cache's source.
                DisasterLevel.Major => async token => (await target.AssessAsync(token)).Cache is { } cache ? CacheSteps.Summary(cache) : "the environment has no cache",
                _ => null,
            };
            return await RunbookOptions.PlanOrRunAsync(context, parse, runbook, directory, request, preview, ct);
        });
        return failover;
    }
}
