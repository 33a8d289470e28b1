namespace AutoVideo.DR.Recovery.Objectives;

/// <summary>
/// The ceiling for one recovery: time to recover and data that may be lost. A disaster level's
/// comes from the plan; a planned failback (no disaster, <see cref="Level"/> null) has its own.
/// </summary>
public sealed record RecoveryObjective(DisasterLevel? Level, TimeSpan Rto, TimeSpan Rpo)
{
    /// <summary>The plan's table ("恢復目標"): critical 1 h / 15 min, major 4 h / 1 h, minor 8 h / 4 h.</summary>
    public static RecoveryObjective For(DisasterLevel level) => level switch
    {
        DisasterLevel.Critical => new(level, TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)),
        DisasterLevel.Major => new(level, TimeSpan.FromHours(4), TimeSpan.FromHours(1)),
        DisasterLevel.Minor => new(level, TimeSpan.FromHours(8), TimeSpan.FromHours(4)),
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };

    /// <summary>
    /// A failback is planned: writes stop and the standby catches up before roles change, so it may
    /// lose nothing (RPO 0), and its interruption must stay within the tightest RTO the plan sets (1 h).
    /// </summary>
    public static readonly RecoveryObjective PlannedFailback = new(null, TimeSpan.FromHours(1), TimeSpan.Zero);

    /// <summary>"critical", "major", "minor", or "planned failback".</summary>
    public string Name => Level?.Name() ?? "planned failback";

    public bool RtoMet(TimeSpan actual) => actual <= Rto;
    public bool RpoMet(TimeSpan actual) => actual <= Rpo;
}
