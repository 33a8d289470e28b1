namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>
/// The plan's schedule for physical backups (每日完整 / 每小時增量): run hourly, and each run is a full
/// backup when the repository has none from the last day, a differential one otherwise. A
/// differential needs only its full to restore, so a restore never chains more than two backups.
/// The WAL archive between them is continuous; retention (a week) is pgBackRest's, see
/// <see cref="PgBackRestSetup.RetentionDays"/>.
/// </summary>
public static class PhysicalBackupSchedule
{
    public static readonly TimeSpan FullEvery = TimeSpan.FromDays(1);
    public static readonly TimeSpan DifferentialEvery = TimeSpan.FromHours(1);

    /// <summary>The cron line that runs the schedule (each run decides full or differential itself).</summary>
    public const string Cron = "0 * * * *";

    public static PhysicalBackupType Next(IEnumerable<PhysicalBackup> backupsInRepository, DateTimeOffset now) =>
        backupsInRepository.Any(b => !b.Error && b.Type == PhysicalBackupType.Full && now - b.Stopped < FullEvery)
            ? PhysicalBackupType.Diff
            : PhysicalBackupType.Full;
}
