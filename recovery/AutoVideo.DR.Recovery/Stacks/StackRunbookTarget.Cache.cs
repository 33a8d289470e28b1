using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Runbooks;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// The stacks' cache (ElastiCache, a global datastore across both regions) as the runbooks see it. Its
/// nodes are the stacks. A promoted stack's cache is primary by construction (infra/cache.ts: promotion
/// declares a new primary group with a datastore of its own), so the cache is promoted with the standby
/// stack and rejoins as the secondary when the old primary stack is demoted. From an operator's machine
/// the cache cannot be reached (private subnets): it is judged by its stack's region (the health URLs)
/// and by the stacks' outputs (cacheRole), and a backup's Redis part is not restored into it from here.
/// </summary>
public sealed partial class StackRunbookTarget
{
    const string Primary = "primary";
    const string Secondary = "secondary";

    static CacheAssessment? CacheAssessment(StackOutputs? primary, StackOutputs? standby, IReadOnlyList<string> failed)
    {
        if (primary is null || primary.Text(StackOutputs.CacheEndpoint) is not { Length: > 0 }) return null;
        var usable = standby is not null && standby.Text(StackOutputs.CacheRole) == Secondary && !failed.Contains(standby.Stack);
        var detail = standby is null ? "no stack has the standby role"
            : failed.Contains(standby.Stack) ? $"{standby.Stack}'s region does not answer"
            : usable ? $"stack {standby.Stack}'s cache is the global datastore's secondary (cacheRole {Secondary}); its replication offset cannot be read from here (private subnets)"
            : $"stack {standby.Stack}'s cacheRole is '{standby.Text(StackOutputs.CacheRole)}', not {Secondary}";
        return new CacheAssessment(primary.Stack, standby?.Stack, failed.Contains(primary.Stack), usable, detail, ReplicaPoint: null,
            BackupDetail: "a backup's Redis part is not restored into ElastiCache from an operator's machine (private subnets)");
    }

    public async Task<string> PromoteCacheAsync(string node, CancellationToken ct)
    {
        if (await CacheServesAsync(node, ct) is { TookEffect: true } done) return $"already the cache primary, promoted with stack {node}: {done.Detail}";
        // The cache has no promotion of its own: it comes with the stack's (restore-available), never the database without it.
        throw new RecoveryException($"stack {node}'s cache becomes primary only with the stack's promotion (infra/cache.ts), and stack {node} is not promoted: promoting it for the cache alone would move the database too; run 'autovideo-dr failover --level critical --stack {node}' if {Other(node)}'s region is lost, or let ElastiCache's Multi-AZ automatic failover replace the node in {Other(node)}'s region; nothing was changed");
    }

    public async Task<StepCheck> CacheServesAsync(string node, CancellationToken ct)
    {
        var outputs = await driver.OutputsAsync(node, ct);
        return outputs.Is(NodeRole.Primary) && outputs.Text(StackOutputs.CacheRole) == Primary
            ? StepCheck.Yes($"stack {node} outputs role primary and cacheRole {Primary}; its services use its cacheEndpoint {outputs.Text(StackOutputs.CacheEndpoint)} (a write cannot be tried from here: private subnets)")
            : StepCheck.No($"stack {node} outputs role {outputs.Text(StackOutputs.Role)} and cacheRole {outputs.Text(StackOutputs.CacheRole) ?? "none"}");
    }

    public Task<string> RestoreCacheAsync(string backup, CancellationToken ct) =>
        throw new RecoveryException($"restoring {backup}'s Redis part into ElastiCache is not done from an operator's machine (the cache is in private subnets); the promoted stack's cache starts empty and refills from the services");

    public Task<StepCheck> CacheRestoredAsync(string backup, DateTimeOffset since, CancellationToken ct) =>
        Task.FromResult(StepCheck.No($"the stacks' cache is never restored from {backup} by this tool"));

    public Task<DataLoss> CacheLossAfterAsync(CachePoint point, DateTimeOffset noLaterThan, CancellationToken ct) =>
        Task.FromResult(DataLoss.Unknown($"the promoted stack's cache is a new replication group that starts empty (infra/cache.ts): the keys the lost primary held are not in it and the services refill it; how many there were cannot be read from an operator's machine (private subnets)") with { Unit = "write" });

    public async Task<string> RejoinCacheAsync(string node, CancellationToken ct)
    {
        if (await IsCacheReplicaAsync(node, ct) is { TookEffect: true } done) return $"already the secondary: {done.Detail}";
        // Rejoining is the stack's demotion (repair-failed before this step), which needs the stack's region.
        throw new RecoveryException($"stack {node}'s cache rejoins the global datastore as its secondary when stack {node} is demoted ('autovideo-dr failback --stack {Other(node)} --peer-stack {node}', once {node}'s region answers); its outputs say it is not yet");
    }

    public async Task<StepCheck> IsCacheReplicaAsync(string node, CancellationToken ct)
    {
        var outputs = await driver.OutputsAsync(node, ct);
        return outputs.Is(NodeRole.Standby) && outputs.Text(StackOutputs.CacheRole) == Secondary
            ? StepCheck.Yes($"stack {node} outputs role standby and cacheRole {Secondary}")
            : StepCheck.No($"stack {node} outputs role {outputs.Text(StackOutputs.Role)} and cacheRole {outputs.Text(StackOutputs.CacheRole) ?? "none"}");
    }

    public async Task<StepCheck> VerifyCacheAsync(CancellationToken ct)
    {
        var outputs = await BothAsync(ct);
        if (outputs.All(o => o.Text(StackOutputs.CacheEndpoint) is not { Length: > 0 })) return StepCheck.Yes("the stacks output no cache");
        if (outputs.FirstOrDefault(o => o.Is(NodeRole.Primary)) is not { } primary) return StepCheck.No("no stack outputs role primary");
        var serves = await CacheServesAsync(primary.Stack, ct);
        var replica = await IsCacheReplicaAsync(Other(primary.Stack), ct);
        return new StepCheck(serves.TookEffect && replica.TookEffect, $"{serves.Detail}; {replica.Detail}");
    }
}
