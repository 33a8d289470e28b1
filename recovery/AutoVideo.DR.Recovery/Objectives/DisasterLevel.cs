namespace AutoVideo.DR.Recovery.Objectives;

/// <summary>The plan's three disaster levels (嚴重災難, 重大故障, 一般故障).</summary>
public enum DisasterLevel
{
    Minor,
    Major,
    Critical,
}

public static class DisasterLevels
{
    /// <summary>The level a name spells ("critical", "major", "minor"), or null.</summary>
    public static DisasterLevel? TryParse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "critical" => DisasterLevel.Critical,
        "major" => DisasterLevel.Major,
        "minor" => DisasterLevel.Minor,
        _ => null,
    };

    public static string Name(this DisasterLevel level) => level.ToString().ToLowerInvariant();
}
