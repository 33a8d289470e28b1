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
    /// <summary>Seconds of acknowledged writes the promoted copy may lack (the RPO achieved).</summary>
    public const string DataLossSeconds = "data-loss-seconds";
}
