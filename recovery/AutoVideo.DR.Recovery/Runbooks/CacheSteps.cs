using System.Globalization;
using AutoVideo.DR.Recovery.Incidents;
using static AutoVideo.DR.Recovery.Incidents.FactKeys;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The major runbook's steps for the cache (Redis), beside the database's: the assessment chooses
/// where the cache comes back from (its replica, else the newest backup holding a Redis part), then
/// restore-cache recovers it, measure-cache-loss records what that lost, repair-cache rebuilds the
/// failed node as a replica. Like every step, each action has a check asked before a resumed run
/// repeats it: a cache is never promoted or restored twice.
/// </summary>
public static class CacheSteps
{
    /// <summary>The value of <see cref="CacheSource"/> when the replica is promoted (else a backup's name).</summary>
    public const string ReplicaSource = RunbookSteps.ReplicaSource;

    const string ReplicaIdFact = "cache-replica-id";
    const string ReplicaOffsetFact = "cache-replica-offset";
    const string BackupTakenFact = "cache-backup-taken";

    /// <summary>Where the cache comes back from (null: nowhere), the line that says why, and the nodes to rebuild as replicas after.</summary>
    public sealed record Choice(string? Source, string Line, IReadOnlyList<string> Repair);

    public static Choice Choose(CacheAssessment c)
    {
        var replica = c.Replica is null ? "no cache replica" : $"replica {c.Replica}: {(c.ReplicaUsable ? "usable" : "unusable")} ({c.ReplicaDetail})";
        if (c.ReplicaUsable && c.Replica is { } promoted)
            return new(ReplicaSource, $"{replica}; chosen: promote {promoted}", [c.Primary]);
        var backups = c.NewestBackup is { } b
            ? $"backup {b.Name} (Redis part taken {b.TakenAt:yyyy-MM-dd HH:mm:ss}Z)"
            : $"backups: {c.BackupDetail ?? "none holds a Redis part"}";
        return c.NewestBackup is { } newest
            ? new(newest.Name, $"{replica}; {backups}; chosen: restore {newest.Name}'s Redis part into {c.Primary}", c.Replica is null ? [] : [c.Replica])
            : new(null, $"{replica}; {backups}", []);
    }

    /// <summary>Refuses, at the assessment (nothing changed yet), a failed cache primary that nothing can bring back.</summary>
    public static void RequireRecoverable(TargetAssessment a)
    {
        if (a.Cache is { PrimaryDown: true } c && Choose(c) is { Source: null } none)
            throw new RecoveryException($"the cache primary {c.Primary} is down and nothing can bring its data back ({none.Line}); start its replica again, or put a backup holding a Redis part into the environment's store, then run the same command again");
    }

    public static string Summary(CacheAssessment c) =>
        c.PrimaryDown ? $"cache primary {c.Primary} down: {Choose(c).Line}" : $"cache primary {c.Primary} serves";

    internal static Dictionary<string, string> Facts(CacheAssessment c)
    {
        var facts = new Dictionary<string, string>
        {
            [CachePrimary] = c.Primary,
            [CacheReplica] = c.Replica ?? "",
            [CacheDown] = c.PrimaryDown ? "true" : "false",
        };
        if (!c.PrimaryDown) return facts;
        var choice = Choose(c);
        facts[CacheSource] = choice.Source ?? "";
        facts[CacheChoice] = choice.Line;
        facts[CacheRepair] = string.Join(",", choice.Repair);
        if (c.ReplicaPoint?.ReplicationId is { } id) facts[ReplicaIdFact] = id;
        if (c.ReplicaPoint?.Offset is { } offset) facts[ReplicaOffsetFact] = offset.ToString(CultureInfo.InvariantCulture);
        if (choice.Source != ReplicaSource && c.NewestBackup is { } backup) facts[BackupTakenFact] = backup.TakenAt.ToString("O", CultureInfo.InvariantCulture);
        return facts;
    }

    static bool Down(RunContext context) => context.TryFact(CacheDown) == "true";

    static string? NothingToRecover(RunContext context) =>
        Down(context) ? null
        : context.TryFact(CachePrimary) is null or "" ? "the environment has no cache"
        : $"the cache primary {context.Fact(CachePrimary)} serves: nothing to recover";

    public static RunbookStep RestoreCache(IRunbookTarget target) => new(
        Incident.CacheRestoredBy, "recover the cache",
        "if the cache (Redis) primary failed: promote its replica (REPLICAOF NO ONE; the failed primary fenced first, so it can only come back as a replica; stacks: the standby stack's promotion makes its cache primary), or, with no usable replica, restore the newest backup's Redis part into the cache; checked by clients' cache endpoint leading to a primary that takes a write",
        TimeSpan.FromMinutes(30),
        async (context, ct) =>
        {
            var source = context.Fact(CacheSource);
            var node = source == ReplicaSource ? context.Fact(CacheReplica) : context.Fact(CachePrimary);
            var output = source == ReplicaSource ? await target.PromoteCacheAsync(node, ct) : await target.RestoreCacheAsync(source, ct);
            return new StepResult(output, new Dictionary<string, string> { [CacheServing] = node });
        },
        async (context, ct) =>
        {
            var source = context.Fact(CacheSource);
            if (source == ReplicaSource) return await target.CacheServesAsync(context.Fact(CacheReplica), ct);
            var restored = await target.CacheRestoredAsync(source, RunbookSteps.AssessedAt(context), ct);
            if (!restored.TookEffect) return restored;
            var serves = await target.CacheServesAsync(context.Fact(CachePrimary), ct);
            return serves with { Detail = $"{restored.Detail}; {serves.Detail}" };
        },
        SkipWhen: NothingToRecover);

    public static RunbookStep MeasureCacheLoss(IRunbookTarget target) => new(
        "measure-cache-loss", "measure the cache data lost",
        "once the cache serves again: what its recovery lost, bounded from the promoted replica's offset against the lost primary's last known one (its last RDB), or by the restored backup's age; unknown with the reason where neither can be read; never assumed",
        TimeSpan.FromSeconds(60),
        async (context, ct) =>
        {
            var source = context.Fact(CacheSource);
            var point = source == ReplicaSource
                ? new CachePoint($"{context.Fact(CacheReplica)} at the assessment", context.Fact(CacheReplica), context.TryFact(ReplicaIdFact),
                    context.TryFact(ReplicaOffsetFact) is { } o ? long.Parse(o, CultureInfo.InvariantCulture) : null)
                : new CachePoint($"backup {source}'s Redis part",
                    TakenAt: context.TryFact(BackupTakenFact) is { } t ? DateTimeOffset.Parse(t, CultureInfo.InvariantCulture) : null);
            var loss = await target.CacheLossAfterAsync(point, RunbookSteps.AssessedAt(context), ct);
            return new StepResult(loss.Describe(), DataLossFacts.Write(loss, CachePrefix));
        },
        (context, _) => Task.FromResult(context.TryFact(CachePrefix + DataLossKind) is null ? StepCheck.No("no cache data loss recorded") : StepCheck.Yes("cache data loss recorded")),
        SkipWhen: context => Down(context) ? null : "no cache was recovered in this run");

    public static RunbookStep RepairCache(IRunbookTarget target) => new(
        "repair-cache", "rebuild the failed cache node as a replica",
        "rebuild every cache node the recovery left behind (the fenced old primary, or a replica that was down) as a replica of the serving cache primary, and wait for its first sync",
        TimeSpan.FromMinutes(30),
        async (context, ct) =>
        {
            var lines = new List<string>();
            foreach (var node in Repair(context)) lines.Add(await target.RejoinCacheAsync(node, ct));
            return new StepResult(string.Join("; ", lines));
        },
        async (context, ct) =>
        {
            var checks = new List<StepCheck>();
            foreach (var node in Repair(context)) checks.Add(await target.IsCacheReplicaAsync(node, ct));
            return new StepCheck(checks.All(c => c.TookEffect), string.Join("; ", checks.Select(c => c.Detail)));
        },
        SkipWhen: context => NothingToRecover(context) ?? (Repair(context).Count == 0 ? "no other cache node to rebuild" : null));

    static List<string> Repair(RunContext context) =>
        (context.TryFact(CacheRepair) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
}
