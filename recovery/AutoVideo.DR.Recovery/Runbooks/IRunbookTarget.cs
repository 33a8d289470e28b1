using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// A point data can be recovered to: what it is, the WAL position it holds everything up to (when
/// known), the time of the newest commit it holds (when known), and the WAL timeline that position
/// is on (when known; else the lost primary's).
/// </summary>
public sealed record RecoveryPoint(string What, ulong? Lsn, DateTimeOffset? LastCommitAt, int? Timeline = null);

/// <summary>
/// What the assessment step found: the health report, the level it amounts to, which node is
/// primary and which standby (node = a local server or a Pulumi stack), which failed, whether the
/// replica can be promoted and what it holds, and the node that is primary in normal operation.
/// </summary>
public sealed record TargetAssessment(
    HealthReport Health,
    Assessment Assessment,
    string? Primary,
    string? Standby,
    string? Fenced,
    IReadOnlyList<string> Failed,
    bool ReplicaUsable,
    string ReplicaDetail,
    RecoveryPoint? ReplicaPoint,
    string HomePrimary);

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

    /// <summary>
    /// What recovering to <paramref name="point"/> loses: the commits the lost primary made after it,
    /// counted where its WAL can be read, else bounded by the time from <paramref name="point"/>'s newest
    /// commit to <paramref name="noLaterThan"/> (when the primary was seen down), else unknown with why.
    /// </summary>
    Task<DataLoss> LossAfterAsync(RecoveryPoint point, DateTimeOffset noLaterThan, CancellationToken ct);

    /// <summary>The point a promoted node recovered to (its end of recovery), or null where it cannot be read.</summary>
    Task<RecoveryPoint?> RecoveredPointAsync(string node, CancellationToken ct);

    /// <summary>Keeps application clients off <paramref name="node"/> (refused, never redirected) until traffic is switched to it.</summary>
    Task<string> HoldClientsAsync(string node, CancellationToken ct);
    Task<StepCheck> ClientsHeldAsync(string node, CancellationToken ct);

    /// <summary>A planned switchover: stops writes on <paramref name="primary"/> cleanly and waits until <paramref name="standby"/> holds all of it.</summary>
    Task<string> StopWritesAsync(string primary, string standby, CancellationToken ct);
    Task<StepCheck> CaughtUpAsync(string primary, string standby, CancellationToken ct);

    /// <summary>Makes <paramref name="node"/> the primary (locally pg_promote; in the cloud role primary + pulumi up), fencing the old one first.</summary>
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

    /// <summary>Points clients at <paramref name="node"/> (locally the multi-host string, releasing a hold; in the cloud the failover records).</summary>
    Task<string> SwitchTrafficAsync(string node, CancellationToken ct);
    Task<StepCheck> TrafficReachesAsync(string node, CancellationToken ct);

    /// <summary>Post-recovery verification: the primary accepts writes and every node that should run is healthy.</summary>
    Task<StepCheck> VerifyAsync(bool requireStandby, CancellationToken ct);
}
