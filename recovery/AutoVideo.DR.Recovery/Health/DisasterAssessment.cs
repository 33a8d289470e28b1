using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>The level a health report amounts to (null when nothing is wrong) and why.</summary>
public sealed record Assessment(DisasterLevel? Level, IReadOnlyList<string> Reasons)
{
    public RecoveryObjective? Objective => Level is { } level ? RecoveryObjective.For(level) : null;
    public string LevelName => Level?.Name() ?? "none";
}

/// <summary>
/// Classifies a health report into the plan's disaster levels ("判斷災難等級"):
/// critical when everything that serves the primary side is down (完整系統故障 / 數據中心故障) or a
/// security breach is declared; major when a data component (PostgreSQL, Redis, object storage) or
/// several services are down; minor for one service down or a degraded component (效能下降).
/// </summary>
public static class DisasterAssessment
{
    /// <summary>Replication lag beyond the critical RPO puts the RPO at risk: degraded.</summary>
    public static readonly TimeSpan LagLimit = RecoveryObjective.For(DisasterLevel.Critical).Rpo;

    public static Assessment Assess(HealthReport report, bool securityBreachDeclared = false)
    {
        var reasons = new List<string>();
        if (securityBreachDeclared) reasons.Add("security breach declared by the operator (重大安全事件)");

        // The serving side is the primary database and the services. Redis and object storage are
        // judged by the major rule: a cache or a bucket that still answers does not make a dead primary
        // database and dead services less than a whole-system failure. A fenced node being down is expected.
        var servingSide = report.Components.Where(c => c.Kind == ComponentKind.Service || (c.Kind == ComponentKind.Database && c.ExpectedRole == NodeRole.Primary)).ToList();
        var down = report.Components.Where(c => c.IsDown && c.ExpectedRole != NodeRole.Fenced).ToList();
        var primaryDown = report.Components.Any(c => c.Kind == ComponentKind.Database && c.ExpectedRole == NodeRole.Primary && c.IsDown);
        var noPrimary = !report.Components.Any(c => c.Kind == ComponentKind.Database && c.ExpectedRole == NodeRole.Primary);

        if (servingSide.Count > 0 && servingSide.All(c => c.IsDown))
            reasons.Add($"everything serving the primary side is down: {string.Join(", ", servingSide.Select(c => c.Name))} (完整系統故障)");
        if (reasons.Count > 0) return new Assessment(DisasterLevel.Critical, reasons);

        if (primaryDown || noPrimary) reasons.Add(noPrimary ? "no database holds the primary role" : "the primary database is down (資料庫故障)");
        foreach (var c in down.Where(c => c.Kind == ComponentKind.ObjectStore || (c.Kind == ComponentKind.Cache && c.ExpectedRole is null or NodeRole.Primary)))
            reasons.Add($"{c.Name} is down ({(c.Kind == ComponentKind.Cache ? "Redis" : "object storage")} 故障)");
        var servicesDown = down.Where(c => c.Kind == ComponentKind.Service).ToList();
        if (servicesDown.Count >= 2) reasons.Add($"{servicesDown.Count} services are down: {string.Join(", ", servicesDown.Select(c => c.Name))} (核心微服務故障)");
        if (reasons.Count > 0) return new Assessment(DisasterLevel.Major, reasons);

        reasons.AddRange(servicesDown.Select(c => $"service {c.Name} is down (單一微服務故障)"));
        reasons.AddRange(down.Where(c => c.Kind == ComponentKind.Database).Select(c => $"standby {c.Name} is down: no replica to fail over to"));
        reasons.AddRange(down.Where(c => c.Kind == ComponentKind.Cache && c.ExpectedRole == NodeRole.Standby).Select(c => $"Redis replica {c.Name} is down: no cache replica to promote"));
        reasons.AddRange(report.Components.Where(c => c.Status == ComponentStatus.Degraded).Select(c => $"{c.Name} is degraded: {c.Detail}"));
        reasons.AddRange(report.Components.Where(c => c.LagSeconds > LagLimit.TotalSeconds)
            .Select(c => $"{c.Name} replays {c.LagSeconds:F0} s behind, beyond the {LagLimit.TotalMinutes:F0}-minute RPO"));
        return new Assessment(reasons.Count > 0 ? DisasterLevel.Minor : null, reasons);
    }
}
