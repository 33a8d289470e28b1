namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>
/// The facts steps record in the journal for later steps (and for a resumed run, which rebuilds
/// them from the journal): which node is which, what the assessment found.
/// </summary>
public static class FactKeys
{
    public const string Primary = "primary";
    public const string Standby = "standby";
    public const string Fenced = "fenced";
    /// <summary>The old primary a failback brings back: the fenced node, or the standby it already became.</summary>
    public const string Returning = "returning";
    public const string Failed = "failed";
    public const string ReplicaUsable = "replica-usable";
    public const string ReplicaDetail = "replica-detail";
    public const string Serving = "serving";
    /// <summary>Where the recovered data comes from: "replica", or the name of the backup restored.</summary>
    public const string Source = "source";
    /// <summary>Each candidate source and what it would lose, as the assessment saw them.</summary>
    public const string Candidates = "candidates";
    /// <summary>Why the run was declared: disaster, security-breach or planned.</summary>
    public const string Declared = "declared";
    /// <summary>The data loss achieved (see <see cref="DataLossFacts"/>): its kind, seconds, commits and basis.</summary>
    public const string DataLossKind = "data-loss-kind";
    public const string DataLossSeconds = "data-loss-seconds";
    public const string DataLossCommits = "data-loss-commits";
    public const string DataLossBasis = "data-loss-basis";

    /// <summary>
    /// The cache (Redis) as the assessment found it: its primary and replica, whether the primary is down,
    /// where its data comes back from ("replica", or the name of a backup holding a Redis part), and the
    /// nodes to rebuild as replicas once it serves again. Its data loss is recorded with the keys above behind <see cref="CachePrefix"/>.
    /// </summary>
    public const string CachePrefix = "cache-";
    public const string CachePrimary = "cache-primary";
    public const string CacheReplica = "cache-replica";
    public const string CacheDown = "cache-down";
    public const string CacheSource = "cache-source";
    public const string CacheChoice = "cache-choice";
    public const string CacheServing = "cache-serving";
    public const string CacheRepair = "cache-repair";
}
