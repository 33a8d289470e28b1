using AutoVideo.DR.Recovery.Runbooks;
namespace AutoVideo.DR.Recovery.Drills;

/// <summary>How a drill sees the disaster: its own probe loop, or the plan's path (Prometheus alert → Alertmanager → on-call webhook).</summary>
public enum DetectionMethod
{
    Probe,
    Alert,
}

/// <summary>
/// How a drill runs. Without a running environment in <see cref="WorkDirectory"/> the drill creates
/// one there and removes it afterwards, so a drill from a fresh clone needs nothing set up.
/// </summary>
public sealed record DrillOptions(
    string WorkDirectory,
    string Owner,
    string ReportDirectory,
    DisasterKind Disaster = DisasterKind.KillPrimary,
    int Writers = 4,
    TimeSpan? WarmUp = null,
    TimeSpan? RunAfterRecovery = null,
    bool DetachStandbyBeforeDisaster = false,
    string? RestoreBackup = null,
    DetectionMethod Detect = DetectionMethod.Probe,
    bool RestoreBeforeDamage = false)
{
    /// <summary>The plan's detection window: "Prometheus 告警觸發 → 自動告警發送到值班人員" within 0–5 minutes.</summary>
    public static readonly TimeSpan DetectionTarget = TimeSpan.FromMinutes(5);

    public TimeSpan WarmUpTime => WarmUp ?? TimeSpan.FromSeconds(3);
    public TimeSpan AfterRecoveryTime => RunAfterRecovery ?? TimeSpan.FromSeconds(1);

    public void Validate()
    {
        if (Writers is < 1 or > 32) throw new RecoveryException($"--writers {Writers} is out of range; accepted: 1 to 32");
        if (WarmUpTime < TimeSpan.Zero || WarmUpTime > TimeSpan.FromHours(1))
            throw new RecoveryException($"--warm-up {WarmUpTime.TotalSeconds} s is out of range; accepted: 0 to 3600 seconds");
        if (RestoreBackup is not null && RestoreSources.Problem(RestoreBackup) is { } problem) throw new RecoveryException($"--restore {problem}");
        if (RestoreBeforeDamage && (RestoreBackup is null || !PointInTime.RecoveryTarget.IsSource(RestoreBackup)))
            throw new RecoveryException("--to-time restores to the moment before the drill's DELETE from the WAL archive; accepted: drill --restore pitr --to-time");
        if (RestoreBackup is not null && DetachStandbyBeforeDisaster)
            throw new RecoveryException("--restore and --detach-standby exclude each other; accepted: one of them");
        if (Disaster.HitsCache() && (RestoreBackup is not null || DetachStandbyBeforeDisaster))
            throw new RecoveryException($"--{(RestoreBackup is not null ? "restore" : "detach-standby")} belongs to the database disasters; {Disaster.Name()} fails the cache, whose runbook restores a backup by itself when no replica is usable; accepted: kill-primary, stop-primary or freeze-primary with it");
        if (string.IsNullOrWhiteSpace(Owner)) throw new RecoveryException("--owner is empty; accepted: the name of who runs the drill");
    }
}
