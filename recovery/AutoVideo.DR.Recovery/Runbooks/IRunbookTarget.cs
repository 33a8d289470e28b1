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
/// A point a cache can be recovered to: a replica as it stands (the node, the replication history it
/// follows and its offset in it), or a backup's RDB (the time it was taken).
/// </summary>
public sealed record CachePoint(string What, string? Node = null, string? ReplicationId = null, long? Offset = null, DateTimeOffset? TakenAt = null);

/// <summary>
/// What the assessment found of the cache (Redis): its primary and replica (node = a local Redis server or a
/// Pulumi stack), whether the primary is down, whether the replica can be promoted and where it stands, and
/// (only looked up when the replica cannot be promoted) the newest backup holding a Redis part.
/// </summary>
public sealed record CacheAssessment(
    string Primary,
    string? Replica,
    bool PrimaryDown,
    bool ReplicaUsable,
    string ReplicaDetail,
    CachePoint? ReplicaPoint,
    (string Name, DateTimeOffset TakenAt)? NewestBackup = null,
    string? BackupDetail = null);

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
    string HomePrimary,
    CacheAssessment? Cache = null);

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

    // The cache (Redis). Its nodes are named apart from the databases' (locally cache-a, cache-b; stacks: the stack).

    /// <summary>Makes the cache replica <paramref name="node"/> the cache primary, the failed primary fenced first (locally REPLICAOF NO ONE; stacks: the standby stack's promotion).</summary>
    Task<string> PromoteCacheAsync(string node, CancellationToken ct);

    /// <summary>Whether <paramref name="node"/> is the cache primary and clients reach it: the environment's cache endpoint leads there and it takes a write.</summary>
    Task<StepCheck> CacheServesAsync(string node, CancellationToken ct);

    /// <summary>Restores the Redis part of <paramref name="backup"/> into the cache primary, verified against the manifest.</summary>
    Task<string> RestoreCacheAsync(string backup, CancellationToken ct);

    /// <summary>Whether the cache primary holds <paramref name="backup"/>, restored no earlier than <paramref name="since"/> (so a resumed run never restores twice).</summary>
    Task<StepCheck> CacheRestoredAsync(string backup, DateTimeOffset since, CancellationToken ct);

    /// <summary>
    /// What recovering the cache to <paramref name="point"/> lost: bounded from the lost primary's last known
    /// replication offset (its last RDB) or from a backup's age up to <paramref name="noLaterThan"/> (when the
    /// failure was seen), else unknown with why. Its unit is "write".
    /// </summary>
    Task<DataLoss> CacheLossAfterAsync(CachePoint point, DateTimeOffset noLaterThan, CancellationToken ct);

    /// <summary>Rebuilds the failed cache node <paramref name="node"/> as a replica of the cache primary.</summary>
    Task<string> RejoinCacheAsync(string node, CancellationToken ct);
    Task<StepCheck> IsCacheReplicaAsync(string node, CancellationToken ct);

    /// <summary>The cache serves writes and every cache node that should replicate does; true when the environment has no cache.</summary>
    Task<StepCheck> VerifyCacheAsync(CancellationToken ct);
}
