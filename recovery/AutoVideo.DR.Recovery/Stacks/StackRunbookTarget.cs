using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Runbooks;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// The Pulumi stacks as a runbook target: nodes are stacks (the standby <c>dr</c> and its peer
/// <c>prod</c>). Roles change through the <c>autovideo-dr:role</c> config and <c>pulumi up</c>;
/// checks read the stack outputs and config back. The databases sit in private subnets, so from
/// an operator's machine the replica is judged by the stack outputs, and service health by the
/// health-check URLs the stacks export.
/// </summary>
public sealed class StackRunbookTarget(StackDriver driver, string stack, string peerStack, Action<string> progress) : IRunbookTarget
{
    public string Name => $"stack {stack} (peer {peerStack})";

    string Other(string node) => node == stack ? peerStack : node == peerStack ? stack
        : throw new RecoveryException($"'{node}' is neither the stack '{stack}' nor its peer '{peerStack}'");

    async Task<IReadOnlyList<StackOutputs>> BothAsync(CancellationToken ct) =>
        [await driver.OutputsAsync(stack, ct), await driver.OutputsAsync(peerStack, ct)];

    public Task<EnvironmentDescription> DescribeAsync(CancellationToken ct) => StackEnvironment.DescribeAsync(driver, [stack, peerStack], ct);

    public async Task<TargetAssessment> AssessAsync(CancellationToken ct)
    {
        await driver.SelectAsync(stack, ct);
        var outputs = await BothAsync(ct);
        var description = StackOutputs.Describe(outputs);
        var health = await new EnvironmentProbe().ProbeAsync(description, ct);
        var assessment = DisasterAssessment.Assess(health);
        var primary = outputs.FirstOrDefault(o => o.Is(NodeRole.Primary));
        var standby = outputs.FirstOrDefault(o => o.Is(NodeRole.Standby));
        // The databases sit in private subnets, out of an operator's reach: a stack is failed when its
        // regional health URL does not answer, and only a stack without one is judged by its database probe.
        var failed = outputs.Where(o =>
            {
                var service = health.Components.Where(c => c.Name.StartsWith(o.Stack + "/")).ToList();
                return service.Count > 0 ? service.All(c => c.IsDown) : o != standby && health.Components.Any(c => c.Name == o.Stack && c.IsDown);
            })
            .Select(o => o.Stack).ToList();
        var source = standby?.Text(StackOutputs.ReplicaSourceArn);
        var usable = standby is not null && !string.IsNullOrEmpty(source);
        var detail = standby is null ? "no stack has the standby role"
            : usable ? $"{standby.Stack} is a replica of {source} (stack outputs)" : $"{standby.Stack} has no replication source: it is not a replica";
        // Fenced: the stack beside the primary whose config says standby but which does not replicate yet (the failback's starting point).
        string? fenced = null;
        if (primary is not null && outputs.First(o => o.Stack == Other(primary.Stack)) is var other
            && !(other.Is(NodeRole.Standby) && !string.IsNullOrEmpty(other.Text(StackOutputs.ReplicaSourceArn)))
            && NodeRoles.TryParse(await driver.GetConfigAsync(other.Stack, StackDriver.RoleKey, ct)) == NodeRole.Standby)
            fenced = other.Stack;
        return new TargetAssessment(health, assessment, primary?.Stack, standby?.Stack == primary?.Stack ? null : standby?.Stack,
            fenced, failed, 0, usable, detail);
    }

    public async Task<string> PromoteAsync(string node, CancellationToken ct)
    {
        if (await IsPrimaryAsync(node, ct) is { TookEffect: true } done) return $"already primary: {done.Detail}";
        await driver.SetConfigAsync(node, StackDriver.RoleKey, NodeRole.Primary.Name(), secret: false, ct);
        // The old region may be down: what touches it fails and converges on a later update (docs/architecture.md).
        var summary = await driver.UpAsync(node, progress, ct, continueOnError: true);
        // Only what touches the old region may fail; the database's own promotion must not.
        if (summary.FailedResources.FirstOrDefault(r => r.Contains("aws:rds/instance:Instance")) is { } database)
            throw new RecoveryException($"the promotion of stack {node}'s database failed ({database}): {summary.Errors.FirstOrDefault() ?? "see pulumi's output"}; fix it and run the same command again");
        return $"role primary set on {node}; {summary}";
    }

    public async Task<StepCheck> IsPrimaryAsync(string node, CancellationToken ct)
    {
        var o = await driver.OutputsAsync(node, ct);
        if (!o.Is(NodeRole.Primary) || !string.IsNullOrEmpty(o.Text(StackOutputs.ReplicaSourceArn)))
            return StepCheck.No($"stack {node} outputs role {o.Text(StackOutputs.Role)}, replication source '{o.Text(StackOutputs.ReplicaSourceArn)}'");
        // The outputs follow config even after a failed update: the state says whether RDS really promoted.
        var applied = await driver.DatabaseReplicationSourceAsync(node, ct);
        return string.IsNullOrEmpty(applied)
            ? StepCheck.Yes($"stack {node} outputs role primary and its database has no replication source in the stack's state")
            : StepCheck.No($"stack {node} outputs role primary but its database still replicates from {applied} (the promotion update did not apply)");
    }

    public async Task<string> FenceAsync(string node, string newPrimary, CancellationToken ct)
    {
        // The old region may be unreachable, so no update runs: the config alone guarantees that
        // the next `pulumi up` of that stack makes it a replica of the new primary, never a writer.
        await driver.SetConfigAsync(node, StackDriver.RoleKey, NodeRole.Standby.Name(), secret: false, ct);
        await driver.SetConfigAsync(node, StackDriver.PeerStackKey, await QualifiedAsync(newPrimary, ct), secret: false, ct);
        return $"stack {node} config role standby, peerStack {newPrimary}: its next update makes it a replica, never a writer";
    }

    public async Task<StepCheck> IsFencedAsync(string node, CancellationToken ct) =>
        NodeRoles.TryParse(await driver.GetConfigAsync(node, StackDriver.RoleKey, ct)) == NodeRole.Standby
            ? StepCheck.Yes($"stack {node} config role is standby")
            : StepCheck.No($"stack {node} config role is not standby");

    public Task<string> IsolateAsync(string node, CancellationToken ct) => FenceAsync(node, Other(node), ct);

    public Task<StepCheck> IsIsolatedAsync(string node, CancellationToken ct) => IsFencedAsync(node, ct);

    public async Task<string> RejoinAsync(string node, CancellationToken ct)
    {
        if (await IsStreamingStandbyAsync(node, ct) is { TookEffect: true } done) return $"already a standby: {done.Detail}";
        await FenceAsync(node, Other(node), ct);
        var summary = await driver.UpAsync(node, progress, ct);
        return $"stack {node} rejoined as standby of {Other(node)}; {summary}";
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

    public async Task<string> StopCleanlyAsync(string node, CancellationToken ct) =>
        await FenceAsync(node, Other(node), ct) + " (writes stop when the other stack is promoted and traffic moves)";

    public Task<StepCheck> IsStoppedAsync(string node, CancellationToken ct) => IsFencedAsync(node, ct);

    public async Task<string> SwitchTrafficAsync(string node, CancellationToken ct)
    {
        // The promotion's update already flipped the failover record to PRIMARY; this one converges
        // what it left failed (Route 53 is global, so DNS converges with the old region down).
        var summary = await driver.UpAsync(node, progress, ct, continueOnError: true);
        return $"{summary}";
    }

    public async Task<StepCheck> TrafficReachesAsync(string node, CancellationToken ct)
    {
        // The failover record's type follows the role output (infra/traffic.ts): PRIMARY on the primary.
        var o = await driver.OutputsAsync(node, ct);
        if (!o.Is(NodeRole.Primary))
            return StepCheck.No($"stack {node} outputs role '{o.Text(StackOutputs.Role)}': its failover record is not PRIMARY");
        var urls = o.HealthUrls().ToDictionary();
        if (o.Text(StackOutputs.HealthCheckUrl) is { Length: > 0 } shared) urls[$"{node}/{o.Text("dnsName") ?? "shared name"}"] = shared;
        var unhealthy = await UnhealthyAsync(urls, ct);
        return unhealthy.Count == 0
            ? StepCheck.Yes($"stack {node}'s failover record is PRIMARY and its {urls.Count} health URL(s) answer")
            : StepCheck.No($"stack {node}'s failover record is PRIMARY but {string.Join("; ", unhealthy)}");
    }

    public async Task<StepCheck> VerifyAsync(bool requireStandby, CancellationToken ct)
    {
        var outputs = await BothAsync(ct);
        var primary = outputs.FirstOrDefault(o => o.Is(NodeRole.Primary));
        if (primary is null) return StepCheck.No("no stack outputs role primary");
        var unhealthy = await UnhealthyAsync(primary.HealthUrls(), ct);
        if (unhealthy.Count > 0) return StepCheck.No($"primary stack {primary.Stack}: {string.Join("; ", unhealthy)}");
        var detail = $"stack {primary.Stack} is primary and its {primary.HealthUrls().Count} health URL(s) answer";
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
