using System.Globalization;
using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Runbooks;

using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// The Pulumi stacks as a runbook target: nodes are stacks (the standby <c>dr</c> and its peer
/// <c>prod</c>), and the <c>global</c> stack owns the failover DNS records and the operator's fence.
/// Nothing here needs an API of the lost region (docs/runbooks.md, "Critical failover in the cloud"):
/// traffic is fenced away from the old primary in the global stack (Route 53 is global) before the
/// standby's role becomes primary, and the old primary's own config is only changed at failback,
/// once its region answers. The databases sit in private subnets, so from an operator's machine the
/// replica is judged by the stack outputs and service health by the health-check URLs.
/// </summary>
public sealed partial class StackRunbookTarget(StackDriver driver, string stack, string peerStack, Action<string> progress) : IRunbookTarget
{
    /// <summary>What a run on the stacks restores from: RDS point-in-time recovery from the backups replicated into the region, then the logical backups.</summary>
    public static RestoreSources RestoreSources(StackDriver driver, string stack, string peerStack, Action<string> progress, ILoggerFactory loggers) =>
        new(new StackPointInTimeDataRestore(new StackPointInTimeRestore(driver, stack, peerStack, progress)), new Backups.BackupDataRestore(loggers));

    /// <summary>The global stack's config keys (infra/settings.ts): where the PRIMARY record points, and who is forced out of DNS.</summary>
    const string PrimaryStackKey = "primaryStack";
    const string FencedStacksKey = "fencedStacks";
    const string GenerationKey = "dbGeneration";

    public string Name => $"stack {stack} (peer {peerStack})";

    string Other(string node) => node == stack ? peerStack : node == peerStack ? stack
        : throw new RecoveryException($"'{node}' is neither the stack '{stack}' nor its peer '{peerStack}'");

    async Task<IReadOnlyList<StackOutputs>> BothAsync(CancellationToken ct) =>
        [await driver.OutputsAsync(stack, ct), await driver.OutputsAsync(peerStack, ct)];

    /// <summary>The global stack, as the standby names it (its <c>globalStack</c> output), else "global".</summary>
    async Task<string> GlobalStackAsync(CancellationToken ct) =>
        (await driver.OutputsAsync(stack, ct)).Text(StackOutputs.GlobalStack) is { Length: > 0 } named ? named : "global";

    async Task<(string Primary, IReadOnlyList<string> Fenced)> TrafficAsync(CancellationToken ct)
    {
        var global = await driver.OutputsAsync(await GlobalStackAsync(ct), ct);
        var fenced = global.Text(StackOutputs.FencedStacks) is { Length: > 0 } json ? JsonSerializer.Deserialize<string[]>(json) ?? [] : [];
        return (global.Text(StackOutputs.PrimaryStack) ?? "", fenced);
    }

    /// <summary>Points the PRIMARY record at <paramref name="primary"/> with <paramref name="fenced"/> forced out of DNS: Route 53 only.</summary>
    async Task<string> SetTrafficAsync(string primary, IReadOnlyCollection<string> fenced, CancellationToken ct)
    {
        var global = await GlobalStackAsync(ct);
        await driver.SetConfigAsync(global, FencedStacksKey, JsonSerializer.Serialize(fenced.Order(StringComparer.Ordinal)), secret: false, ct);
        await driver.SetConfigAsync(global, PrimaryStackKey, primary, secret: false, ct);
        var summary = await driver.UpAsync(global, progress, ct);
        return $"global stack {global}: primary {primary}, fenced [{string.Join(", ", fenced)}]; {summary}";
    }

    public Task<EnvironmentDescription> DescribeAsync(CancellationToken ct) => StackEnvironment.DescribeAsync(driver, [stack, peerStack], ct);

    public async Task<TargetAssessment> AssessAsync(CancellationToken ct)
    {
        await driver.SelectAsync(stack, ct);
        var outputs = await BothAsync(ct);
        var description = StackOutputs.Describe(outputs);
        var health = await new EnvironmentProbe().ProbeConfirmedAsync(description, ct);
        var assessment = DisasterAssessment.Assess(health);
        var primary = outputs.FirstOrDefault(o => o.Is(NodeRole.Primary));
        var standby = outputs.FirstOrDefault(o => o.Is(NodeRole.Standby));
        // A stack is failed when its regional health URL does not answer; only a stack without one is judged by its database probe.
        var failed = outputs.Where(o =>
            {
                var service = health.Components.Where(c => c.Name.StartsWith(o.Stack + "/", StringComparison.Ordinal)).ToList();
                return service.Count > 0 ? service.All(c => c.IsDown) : o != standby && health.Components.Any(c => c.Name == o.Stack && c.IsDown);
            })
            .Select(o => o.Stack).ToList();
        var source = standby?.Text(StackOutputs.ReplicaSourceArn);
        var usable = standby is not null && !string.IsNullOrEmpty(source) && !failed.Contains(standby.Stack);
        var detail = standby is null ? "no stack has the standby role"
            : failed.Contains(standby.Stack) ? $"{standby.Stack}'s health URL does not answer"
            : usable ? $"{standby.Stack} is a replica of {source} (stack outputs); its replay position cannot be read from here (private subnets)"
            : $"{standby.Stack} has no replication source: it is not a replica";
        var (_, fencedStacks) = await TrafficAsync(ct);
        var fenced = outputs.Select(o => o.Stack).FirstOrDefault(s => fencedStacks.Contains(s) && s != primary?.Stack);
        return new TargetAssessment(health, assessment, primary?.Stack, standby?.Stack == primary?.Stack ? null : standby?.Stack,
            fenced, failed, usable, detail, ReplicaPoint: null, HomePrimary: peerStack, Cache: CacheAssessment(primary, standby, failed));
    }

    public Task<DataLoss> LossAfterAsync(RecoveryPoint point, DateTimeOffset noLaterThan, CancellationToken ct) =>
        Task.FromResult(point.LastCommitAt is { } newest
            ? DataLoss.UpperBound(noLaterThan - newest, $"from {point.What}'s newest commit ({newest:yyyy-MM-dd HH:mm:ss}Z) to when the failure was seen; the lost primary's WAL cannot be read from here")
            : DataLoss.Unknown($"the position of {point.What} cannot be read from an operator's machine (the databases are in private subnets) and the lost primary's WAL is in its region; CloudWatch ReplicaLag of the replica at the failure bounds it"));

    /// <summary>RDS does not expose the promoted instance's end of recovery to the operator.</summary>
    public Task<RecoveryPoint?> RecoveredPointAsync(string node, CancellationToken ct) => Task.FromResult<RecoveryPoint?>(null);

    public Task<string> HoldClientsAsync(string node, CancellationToken ct) =>
        throw new RecoveryException($"clients cannot be held off stack {node} through DNS (Route 53 answers with every record when all are unhealthy), so a logical restore there could overwrite acknowledged writes; restore the database to a point in time instead ('autovideo-dr restore --to-time T --stack {node}'), or scale the services to 0 and restore by hand");

    public Task<StepCheck> ClientsHeldAsync(string node, CancellationToken ct) => Task.FromResult(StepCheck.No($"clients are not held off stack {node}"));

    public async Task<string> StopWritesAsync(string primary, string standby, CancellationToken ct)
    {
        var (_, fenced) = await TrafficAsync(ct);
        return await SetTrafficAsync(standby, [.. fenced.Where(s => s != standby).Append(primary).Distinct()], ct)
            + $" (no client reaches {primary}'s writers now)";
    }

    public async Task<StepCheck> CaughtUpAsync(string primary, string standby, CancellationToken ct)
    {
        var (_, fenced) = await TrafficAsync(ct);
        // Writes stopped is what can be checked; the replica's lag cannot be read from here, and the
        // data-loss step records the switch's loss as unknown rather than claim the replica caught up.
        return fenced.Contains(primary)
            ? StepCheck.Yes($"traffic is fenced away from {primary}: no client can write there; {standby}'s replication position cannot be read from here")
            : StepCheck.No($"{primary} is not fenced in the global stack");
    }

    public async Task<string> PromoteAsync(string node, CancellationToken ct)
    {
        if (await IsPrimaryAsync(node, ct) is { TookEffect: true } done) return $"already primary: {done.Detail}";
        // Fence first: clients stop reaching the old primary's writers, even while its health check passes.
        var fence = await FenceAsync(Other(node), node, ct);
        await driver.SetConfigAsync(node, StackDriver.RoleKey, NodeRole.Primary.Name(), secret: false, ct);
        // The old region may be down: what touches it fails and converges at failback (docs/runbooks.md).
        var summary = await driver.UpAsync(node, progress, ct, continueOnError: true);
        // Only what touches the old region may fail; the database's own promotion must not.
        if (summary.FailedResources.FirstOrDefault(r => r.Contains("aws:rds/instance:Instance", StringComparison.Ordinal)) is { } database)
            throw new RecoveryException($"the promotion of stack {node}'s database failed ({database}): {summary.Errors.FirstOrDefault() ?? "see pulumi's output"}; fix it and run the same command again");
        return $"{fence}; role primary set on {node}; {summary}";
    }

    public async Task<StepCheck> IsPrimaryAsync(string node, CancellationToken ct)
    {
        var o = await driver.OutputsAsync(node, ct);
        if (!o.Is(NodeRole.Primary) || !string.IsNullOrEmpty(o.Text(StackOutputs.ReplicaSourceArn)))
            return StepCheck.No($"stack {node} outputs role {o.Text(StackOutputs.Role)}, replication source '{o.Text(StackOutputs.ReplicaSourceArn)}'");
        if (o.Text(StackOutputs.CacheRole) is { Length: > 0 } cache && cache != NodeRole.Primary.Name())
            return StepCheck.No($"stack {node} outputs role primary but its cache is {cache}");
        // The outputs follow config even after a failed update: the state says whether RDS really promoted.
        var applied = await driver.DatabaseReplicationSourceAsync(node, ct);
        return string.IsNullOrEmpty(applied)
            ? StepCheck.Yes($"stack {node} outputs role primary and its database has no replication source in the stack's state")
            : StepCheck.No($"stack {node} outputs role primary but its database still replicates from {applied} (the promotion update did not apply)");
    }

    public async Task<string> FenceAsync(string node, string newPrimary, CancellationToken ct)
    {
        if (await IsFencedAsync(node, ct) is { TookEffect: true } done) return $"already fenced: {done.Detail}";
        var (_, fenced) = await TrafficAsync(ct);
        // Only the global stack changes: the fenced stack's region may be unreachable, and its own
        // config is reconciled at failback.
        return await SetTrafficAsync(newPrimary, [.. fenced.Where(s => s != newPrimary).Append(node).Distinct()], ct);
    }

    public async Task<StepCheck> IsFencedAsync(string node, CancellationToken ct)
    {
        var (primary, fenced) = await TrafficAsync(ct);
        return fenced.Contains(node) && primary != node
            ? StepCheck.Yes($"stack {node} is fenced out of DNS in the global stack (primary {primary})")
            : StepCheck.No($"stack {node} is not fenced in the global stack (primary {primary}, fenced [{string.Join(", ", fenced)}])");
    }

    public Task<string> IsolateAsync(string node, CancellationToken ct) => FenceAsync(node, Other(node), ct);

    public Task<StepCheck> IsIsolatedAsync(string node, CancellationToken ct) => IsFencedAsync(node, ct);

    /// <summary>
    /// Failback of a stack: converge the serving stack (what failed while the other region was down),
    /// demote <paramref name="node"/> to a new replica of it (a promoted instance cannot take a replication
    /// source again, so a new generation is declared and the old instance is released, not deleted),
    /// then lift its fence.
    /// </summary>
    public async Task<string> RejoinAsync(string node, CancellationToken ct)
    {
        if (await IsStreamingStandbyAsync(node, ct) is { TookEffect: true } done) return $"already a standby: {done.Detail}";
        var serving = Other(node);
        var converged = await driver.UpAsync(serving, progress, ct);
        var outputs = await driver.OutputsAsync(node, ct);
        await driver.SetConfigAsync(node, StackDriver.RoleKey, NodeRole.Standby.Name(), secret: false, ct);
        await driver.SetConfigAsync(node, StackDriver.PeerStackKey, await QualifiedAsync(serving, ct), secret: false, ct);
        if (!outputs.Is(NodeRole.Standby) && int.TryParse(outputs.Text(StackOutputs.DatabaseGeneration), CultureInfo.InvariantCulture, out var generation))
            await driver.SetConfigAsync(node, GenerationKey, (generation + 1).ToString(CultureInfo.InvariantCulture), secret: false, ct);
        var demoted = await driver.UpAsync(node, progress, ct);
        var (primary, fenced) = await TrafficAsync(ct);
        var unfenced = fenced.Contains(node) ? await SetTrafficAsync(primary.Length > 0 ? primary : serving, [.. fenced.Where(s => s != node)], ct) : "not fenced";
        return $"stack {serving} converged ({converged}); stack {node} rejoined as a new replica of {serving} ({demoted}); {unfenced}";
    }

    public async Task<StepCheck> IsStreamingStandbyAsync(string node, CancellationToken ct)
    {
        var o = await driver.OutputsAsync(node, ct);
        var primaryArn = (await driver.OutputsAsync(Other(node), ct)).Text(StackOutputs.DatabaseArn);
        if (!o.Is(NodeRole.Standby) || string.IsNullOrEmpty(primaryArn) || o.Text(StackOutputs.ReplicaSourceArn) != primaryArn)
            return StepCheck.No($"stack {node} outputs role {o.Text(StackOutputs.Role)}, replication source '{o.Text(StackOutputs.ReplicaSourceArn)}' (want {primaryArn})");
        // As for promotion: the outputs follow config, the state shows what RDS applied.
        var applied = await driver.DatabaseReplicationSourceAsync(node, ct);
        return applied == primaryArn
            ? StepCheck.Yes($"stack {node} is a replica of {primaryArn}")
            : StepCheck.No($"stack {node} outputs role standby but its database replicates from '{applied}' in the stack's state, not {primaryArn}");
    }

    public async Task<string> RestartAsync(string node, CancellationToken ct) =>
        // An update converges the stack to its declaration: whatever went missing is created again.
        $"{await driver.UpAsync(node, progress, ct)}";

    public async Task<string> SwitchTrafficAsync(string node, CancellationToken ct)
    {
        var (primary, fenced) = await TrafficAsync(ct);
        if (primary == node && !fenced.Contains(node)) return $"the global stack already sends clients to {node}";
        return await SetTrafficAsync(node, [.. fenced.Where(s => s != node)], ct);
    }

    public async Task<StepCheck> TrafficReachesAsync(string node, CancellationToken ct)
    {
        var (primary, fenced) = await TrafficAsync(ct);
        if (primary != node || fenced.Contains(node))
            return StepCheck.No($"the global stack sends clients to '{primary}' (fenced [{string.Join(", ", fenced)}]), not to {node}");
        var urls = (await driver.OutputsAsync(node, ct)).HealthUrls().ToDictionary();
        var global = await driver.OutputsAsync(await GlobalStackAsync(ct), ct);
        if (global.Text(StackOutputs.HealthCheckUrl) is { Length: > 0 } shared) urls[$"{node}/{global.Text("dnsName") ?? "shared name"}"] = shared;
        // A missing URL does not appear by waiting: fail the step at once rather than poll to its timeout.
        if (urls.Count == 0)
            throw new RecoveryException($"stack {node} exports no health URL ({StackOutputs.RegionalHealthCheckUrl}) and the global stack no {StackOutputs.HealthCheckUrl}: traffic cannot be verified; fix the stacks' outputs and run the same command again");
        var unhealthy = await UnhealthyAsync(urls, ct);
        return unhealthy.Count == 0
            ? StepCheck.Yes($"the global stack sends clients to {node} and its {urls.Count} health URL(s) answer")
            : StepCheck.No($"the global stack sends clients to {node} but {string.Join("; ", unhealthy)}");
    }

    public async Task<StepCheck> VerifyAsync(bool requireStandby, CancellationToken ct)
    {
        var outputs = await BothAsync(ct);
        var primary = outputs.FirstOrDefault(o => o.Is(NodeRole.Primary));
        if (primary is null) return StepCheck.No("no stack outputs role primary");
        var urls = primary.HealthUrls();
        if (urls.Count == 0)
            throw new RecoveryException($"primary stack {primary.Stack} exports no health URL ({StackOutputs.RegionalHealthCheckUrl}): the service cannot be verified; fix the stack's outputs and run the same command again");
        var unhealthy = await UnhealthyAsync(urls, ct);
        if (unhealthy.Count > 0) return StepCheck.No($"primary stack {primary.Stack}: {string.Join("; ", unhealthy)}");
        var detail = $"stack {primary.Stack} is primary and its {urls.Count} health URL(s) answer";
        if (!requireStandby) return StepCheck.Yes(detail);
        var replica = await IsStreamingStandbyAsync(Other(primary.Stack), ct);
        return new StepCheck(replica.TookEffect, $"{detail}; {replica.Detail}");
    }

    static async Task<List<string>> UnhealthyAsync(IReadOnlyDictionary<string, string> urls, CancellationToken ct)
    {
        var probe = new ServiceProbe();
        var results = await Task.WhenAll(urls.Select(u => probe.ProbeHttpAsync(u.Key, u.Value, ct)));
        return results.Where(r => r.Status != ComponentStatus.Healthy).Select(r => $"{r.Name}: {r.Detail}").ToList();
    }

    /// <summary>organization/project/stack of a stack, taken from the form the peer already uses in its config.</summary>
    async Task<string> QualifiedAsync(string node, CancellationToken ct)
    {
        var known = await driver.GetConfigAsync(Other(node), StackDriver.PeerStackKey, ct) ?? await driver.GetConfigAsync(node, StackDriver.PeerStackKey, ct);
        var prefix = known is { } k && k.LastIndexOf('/') is var slash and > 0 ? k[..slash] : "organization/autovideo-dr";
        return $"{prefix}/{node}";
    }
}
