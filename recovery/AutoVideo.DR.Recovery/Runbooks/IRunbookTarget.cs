using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// What the assessment step found: the health report, the level it amounts to, which node is
/// primary and which standby (node = a local server or a Pulumi stack), which failed, and how far
/// the standby was behind (the data a promotion would lose).
/// </summary>
public sealed record TargetAssessment(
    HealthReport Health,
    Assessment Assessment,
    string? Primary,
    string? Standby,
    string? Fenced,
    IReadOnlyList<string> Failed,
    double? StandbyLagSeconds,
    bool ReplicaUsable,
    string ReplicaDetail);

/// <summary>
/// The environment a runbook acts on, in the runbook's own words. Every action has a check the
/// executor polls (and asks first when resuming), so each action is safe to run again. The local
/// environment and the Pulumi stacks implement it; the runbooks do not know which they drive.
/// </summary>
public interface IRunbookTarget
{
    /// <summary>Names the target in journals and reports, e.g. "local:/tmp/dr" or "stack dr (peer prod)".</summary>
    string Name { get; }

    Task<EnvironmentDescription> DescribeAsync(CancellationToken ct);
    Task<TargetAssessment> AssessAsync(CancellationToken ct);

    /// <summary>Makes <paramref name="node"/> the primary (locally pg_promote; in the cloud role primary + pulumi up).</summary>
    Task<string> PromoteAsync(string node, CancellationToken ct);
    Task<StepCheck> IsPrimaryAsync(string node, CancellationToken ct);

    /// <summary>Makes sure <paramref name="node"/> can never accept writes again, in favour of <paramref name="newPrimary"/>.</summary>
    Task<string> FenceAsync(string node, string newPrimary, CancellationToken ct);
    Task<StepCheck> IsFencedAsync(string node, CancellationToken ct);

    /// <summary>Takes a failed component out of service so it cannot flap back half-working.</summary>
    Task<string> IsolateAsync(string node, CancellationToken ct);
    Task<StepCheck> IsIsolatedAsync(string node, CancellationToken ct);

    /// <summary>Rebuilds <paramref name="node"/> as a streaming standby of the current primary.</summary>
    Task<string> RejoinAsync(string node, CancellationToken ct);
    Task<StepCheck> IsStreamingStandbyAsync(string node, CancellationToken ct);

    /// <summary>Brings a single stopped component back as it was (the minor path).</summary>
    Task<string> RestartAsync(string node, CancellationToken ct);

    /// <summary>Stops a healthy primary cleanly, shipping all its WAL first (the planned switch-back).</summary>
    Task<string> StopCleanlyAsync(string node, CancellationToken ct);
    Task<StepCheck> IsStoppedAsync(string node, CancellationToken ct);

    /// <summary>Points clients at <paramref name="node"/> (locally the multi-host string; in the cloud the failover records).</summary>
    Task<string> SwitchTrafficAsync(string node, CancellationToken ct);
    Task<StepCheck> TrafficReachesAsync(string node, CancellationToken ct);

    /// <summary>Post-recovery verification: the primary accepts writes and every node that should run is healthy.</summary>
    Task<StepCheck> VerifyAsync(bool requireStandby, CancellationToken ct);
}
