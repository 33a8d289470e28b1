using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Runbooks;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>The config a stack restore sets, in order, and where the backups come from.</summary>
public sealed record StackRestorePlan(string Stack, string PeerStack, RecoveryTarget Target, string Time, string Source, IReadOnlyList<(string Stack, string Key, string Value)> Changes)
{
    public string Describe() =>
        $"restore stack {Stack}'s database to {(Time == "latest" ? "the latest restorable time" : Time)} from the automated backups replicated into its region ({Source}): " +
        $"fence {PeerStack} in the global stack (primaryStack={Stack}, {PeerStack} in fencedStacks; pulumi up of the global stack); " +
        string.Join("; ", Changes.Select(c => $"{c.Stack} {c.Key}={c.Value}")) + $"; then pulumi up -s {Stack}";
}

/// <summary>
/// RDS point-in-time recovery through the stacks: the dr stack's database is created again from the
/// automated backups the primary replicates into the dr region (restoreToPointInTime with
/// sourceDbInstanceAutomatedBackupsArn), by config (<c>autovideo-dr:dbRestoreTime</c>,
/// <c>autovideo-dr:dbRestoreSource</c>, role primary) and <c>pulumi up</c>. This is the path when
/// the replica carries the damage (a breach, a bad migration): promoting it would keep the damage.
/// The peer is fenced in the global stack first, as a promotion does (it may sit in a lost region:
/// nothing of its own is touched).
/// </summary>
public sealed partial class StackPointInTimeRestore(StackDriver driver, string stack, string peerStack, Action<string> progress)
{
    public const string RestoreTimeKey = "dbRestoreTime";
    public const string RestoreSourceKey = "dbRestoreSource";
    /// <summary>The primary stack's output naming its backups replicated into the peer region (proposed to infra/index.ts).</summary>
    public const string ReplicatedBackupsOutput = "databaseReplicatedBackupsArn";

    /// <summary>
    /// What infra/settings.ts accepts for dbRestoreSource when it is an ARN: replicated automated
    /// backups, e.g. arn:aws:rds:us-east-1:123456789012:auto-backup:ab-L2IJCEXJP7XQ7HOJ4SIEXAMPLE
    /// (the form AWS documents for DBInstanceAutomatedBackupsArn).
    /// </summary>
    [GeneratedRegex(@"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:ab-[A-Za-z0-9]+$")]
    public static partial Regex BackupsArn();

    public async Task<StackRestorePlan> PlanAsync(RecoveryTarget target, string? source, CancellationToken ct)
    {
        var time = target switch
        {
            // RDS takes whole seconds; rounding down never restores past the moment asked for.
            RecoveryTarget.Time t => t.Moment.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            RecoveryTarget.Latest => "latest",
            _ => throw new RecoveryException($"RDS restores to a time or to the latest restorable time, not to {target.Describe()}; accepted with --stack: --to-time T or --to latest"),
        };
        source ??= (await driver.OutputsAsync(peerStack, ct)).Text(ReplicatedBackupsOutput);
        if (string.IsNullOrEmpty(source))
            throw new RecoveryException($"stack {peerStack} exports no {ReplicatedBackupsOutput}; pass --restore-source with the ARN of its automated backups replicated into {stack}'s region (arn:aws:rds:<region>:<account>:auto-backup:ab-…)");
        if (!BackupsArn().IsMatch(source))
            throw new RecoveryException($"--restore-source '{source}' is not the ARN of replicated automated backups; accepted: arn:aws:rds:<region>:<account>:auto-backup:ab-…");
        return new StackRestorePlan(stack, peerStack, target, time, source,
        [
            (stack, RestoreTimeKey, time),
            (stack, RestoreSourceKey, source),
            (stack, StackDriver.RoleKey, NodeRole.Primary.Name()),
        ]);
    }

    /// <summary>Fences the peer by config, sets the restore inputs and the role, runs the update and checks in the state that RDS restored.</summary>
    public async Task<string> RestoreAsync(StackRestorePlan plan, CancellationToken ct)
    {
        if (await IsRestoredAsync(plan, ct) is { TookEffect: true } done) return $"already restored: {done.Detail}";
        // The old primary must never take writes again, and may be unreachable: fenced in the global stack (as a promotion fences it).
        var fence = await new StackRunbookTarget(driver, stack, peerStack, progress).FenceAsync(peerStack, stack, ct);
        await driver.SetConfigAsync(stack, RestoreTimeKey, plan.Time, secret: false, ct);
        await driver.SetConfigAsync(stack, RestoreSourceKey, plan.Source, secret: false, ct);
        await driver.SetConfigAsync(stack, StackDriver.RoleKey, NodeRole.Primary.Name(), secret: false, ct);
        // The restore creates a new instance and retires the damaged one, which keeps its deletion
        // protection (kept for forensics): that delete may fail without the restore having failed.
        var summary = await driver.UpAsync(stack, progress, ct, continueOnError: true);
        var check = await IsRestoredAsync(plan, ct);
        if (!check.TookEffect)
            throw new RecoveryException($"pulumi up of stack {stack} did not restore its database ({check.Detail}){(summary.Errors.FirstOrDefault() is { } error ? $": {error}" : "")}; fix it and run the same command again");
        var kept = summary.FailedResources.Any(r => r.Contains("aws:rds/instance:Instance")) ? "; the replaced (damaged) instance could not be deleted and is kept: lift its deletion protection once it is no longer needed" : "";
        return $"{check.Detail}; {fence}; {summary}{kept}";
    }

    /// <summary>Whether the stack's state records an instance restored as <paramref name="plan"/> asks (the outputs follow config even after a failed update).</summary>
    public async Task<StepCheck> IsRestoredAsync(StackRestorePlan plan, CancellationToken ct)
    {
        if (await driver.DatabaseRestoreAsync(stack, ct) is not { } restore)
            return StepCheck.No($"stack {stack}'s database was not created by a point-in-time restore");
        var source = Text(restore, "sourceDbInstanceAutomatedBackupsArn");
        var time = Text(restore, "restoreTime");
        var latest = restore.TryGetProperty("useLatestRestorableTime", out var l) && l.ValueKind == JsonValueKind.True;
        var matches = source == plan.Source && (plan.Time == "latest" ? latest : time is not null && SameMoment(time, plan.Time));
        return matches
            ? StepCheck.Yes($"stack {stack}'s database was restored from {source} to {(latest ? "the latest restorable time" : time)}")
            : StepCheck.No($"stack {stack}'s database was restored from {source ?? "?"} to {(latest ? "latest" : time ?? "?")}, not as asked ({plan.Time} from {plan.Source})");
    }

    static bool SameMoment(string a, string b) =>
        DateTimeOffset.TryParse(a, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var x)
        && DateTimeOffset.TryParse(b, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var y) && x == y;

    static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>
/// The runbooks' restore step on RDS point-in-time recovery: what the critical runbook can offer
/// instead of the replica when the replica carries the damage (a security breach). Sources are
/// "pitr:latest" and "pitr:&lt;time&gt;" (RDS restores to a time, not an LSN).
/// </summary>
public sealed class StackPointInTimeDataRestore(StackPointInTimeRestore restore) : IDataRestore
{
    public string Kind => "point in time";

    public string Accepts => $"{RecoveryTarget.SourcePrefix}latest or {RecoveryTarget.SourcePrefix}<ISO 8601 time with its zone> (RDS point-in-time restore)";

    public bool Owns(string source) => RecoveryTarget.IsSource(source);

    /// <summary>The latest restorable time, when the primary's backups are replicated into this region (its ARN is an output).</summary>
    public async Task<(string Name, RecoveryPoint Point)?> NewestAsync(EnvironmentDescription environment, CancellationToken ct) =>
        await ResolveAsync(environment, new RecoveryTarget.Latest().SourceName(), ct);

    public async Task<(string Name, RecoveryPoint Point)> ResolveAsync(EnvironmentDescription environment, string backup, CancellationToken ct)
    {
        var plan = await restore.PlanAsync(RecoveryTarget.FromSource(backup), source: null, ct);
        return (plan.Target.SourceName(), plan.Target is RecoveryTarget.Time t
            // RDS keeps every commit up to the moment; the loss is bounded from there.
            ? new RecoveryPoint($"RDS point in time {plan.Time}", null, t.Moment)
            // RDS's latest restorable time is only known to RDS (DescribeDBInstanceAutomatedBackups): no figure from here.
            : new RecoveryPoint("RDS's latest restorable time of the backups replicated into this region", null, null));
    }

    public async Task<RestoreOutcome> RestoreAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct)
    {
        var plan = await restore.PlanAsync(RecoveryTarget.FromSource(backup), source: null, ct);
        return new RestoreOutcome(plan.Target.SourceName(), await restore.RestoreAsync(plan, ct));
    }

    public async Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct) =>
        await restore.IsRestoredAsync(await restore.PlanAsync(RecoveryTarget.FromSource(backup), source: null, ct), ct);
}
