namespace AutoVideo.DR.Recovery.Objectives;

/// <summary>The ceiling the plan sets for one disaster level: time to recover and data that may be lost.</summary>
public sealed record RecoveryObjective(DisasterLevel Level, TimeSpan Rto, TimeSpan Rpo)
{
    /// <summary>The plan's table ("恢復目標"): critical 1 h / 15 min, major 4 h / 1 h, minor 8 h / 4 h.</summary>
    public static RecoveryObjective For(DisasterLevel level) => level switch
    {
        DisasterLevel.Critical => new(level, TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)),
        DisasterLevel.Major => new(level, TimeSpan.FromHours(4), TimeSpan.FromHours(1)),
        DisasterLevel.Minor => new(level, TimeSpan.FromHours(8), TimeSpan.FromHours(4)),
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };

    public bool RtoMet(TimeSpan actual) => actual <= Rto;
    public bool RpoMet(TimeSpan actual) => actual <= Rpo;
}
