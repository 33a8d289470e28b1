namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>
/// One unbroken stretch a repository can restore to: from the moment its oldest backup of the
/// stretch became consistent to the end of the WAL that follows it without a gap. The data at the
/// end is that of <see cref="LastCommit"/>, the last commit archived, and stays so until the next
/// commit, which the archive does not hold: so <see cref="Latest"/> is the later of that commit and
/// the newest backup's consistency point (both are archived). A time target lies in
/// [<see cref="Earliest"/>, <see cref="Latest"/>]; an LSN target in [<see cref="EarliestLsn"/>, <see cref="LatestLsn"/>].
/// </summary>
public sealed record RecoverableInterval(
    DateTimeOffset Earliest,
    DateTimeOffset Latest,
    DateTimeOffset? LastCommit,
    ulong EarliestLsn,
    ulong LatestLsn,
    IReadOnlyList<PhysicalBackup> Backups,
    WalSegment LastSegment);

/// <summary>
/// What one repository can restore to: its stretches (one, unless WAL is missing between backups),
/// the backups and the archive they were computed from, and, when the repository could not be
/// read, why. Computed by <see cref="PointInTimeRecovery.WindowsAsync"/>.
/// </summary>
public sealed record RecoverableWindow(
    int Repository,
    string Location,
    IReadOnlyList<RecoverableInterval> Intervals,
    IReadOnlyList<PhysicalBackup> Backups,
    ArchiveContinuity? Archive,
    string? Problem)
{
    public bool IsEmpty => Intervals.Count == 0;
    public DateTimeOffset? Earliest => IsEmpty ? null : Intervals[0].Earliest;
    public DateTimeOffset? Latest => IsEmpty ? null : Intervals[^1].Latest;
    public ulong? LatestLsn => IsEmpty ? null : Intervals[^1].LatestLsn;

    /// <summary>The stretch and backup a restore to <paramref name="target"/> would use, or null when the target lies outside.</summary>
    public (RecoverableInterval Interval, PhysicalBackup Backup)? Locate(RecoveryTarget target)
    {
        foreach (var interval in Intervals.Reverse())
        {
            PhysicalBackup? backup = target switch
            {
                RecoveryTarget.Time t when t.Moment >= interval.Earliest && t.Moment <= interval.Latest =>
                    interval.Backups.LastOrDefault(b => ConsistentFrom(b) <= t.Moment),
                RecoveryTarget.Lsn l when l.Position >= interval.EarliestLsn && l.Position <= interval.LatestLsn =>
                    interval.Backups.LastOrDefault(b => PointInTime.Lsn.Parse(b.StopLsn) <= l.Position),
                RecoveryTarget.Latest when interval == Intervals[^1] => interval.Backups[^1],
                _ => null,
            };
            if (backup is not null) return (interval, backup);
        }
        return null;
    }

    /// <summary>
    /// What PostgreSQL is asked to replay to for <paramref name="target"/> within <paramref name="interval"/>.
    /// Recovery to a time stops before the first commit after it and fails when there is none; a time
    /// at or after the last archived commit is therefore the end of the archive, which holds the same data.
    /// </summary>
    public static RecoveryTarget Effective(RecoveryTarget target, RecoverableInterval interval) =>
        target is RecoveryTarget.Time t && !(interval.LastCommit is { } last && t.Moment < last) ? new RecoveryTarget.Latest() : target;

    /// <summary>
    /// The first moment a backup can be restored to. pgBackRest records its stop in whole seconds,
    /// after PostgreSQL ended the backup; the next second is safely past the consistency point.
    /// </summary>
    public static DateTimeOffset ConsistentFrom(PhysicalBackup backup) => backup.Stopped.AddSeconds(1);

    public string Describe()
    {
        if (Problem is not null) return $"repo{Repository} ({Location}): {Problem}";
        if (IsEmpty) return $"repo{Repository} ({Location}) holds no backup to restore from";
        return $"repo{Repository} ({Location}): " + string.Join(" and ", Intervals.Select(i =>
            $"{Moment(i.Earliest)} to {Moment(i.Latest)} (LSN {PointInTime.Lsn.Format(i.EarliestLsn)} to {PointInTime.Lsn.Format(i.LatestLsn)})")) +
            (Archive is { Missing.Count: > 0 } ? $"; WAL missing: {string.Join(", ", Archive.Missing.Take(3))}" : "");
    }

    public static string Moment(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
