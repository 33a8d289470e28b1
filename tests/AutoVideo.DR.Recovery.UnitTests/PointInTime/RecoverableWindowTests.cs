using AutoVideo.DR.Recovery.PointInTime;

namespace AutoVideo.DR.Recovery.UnitTests.PointInTime;

public sealed class RecoverableWindowTests
{
    static readonly DateTimeOffset T0 = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    static PhysicalBackup Backup(string label, PhysicalBackupType type, DateTimeOffset stopped, string stopLsn, string archiveStart) =>
        new(label, type, 1, stopped.AddSeconds(-5), stopped, "0/2000028", stopLsn, archiveStart, archiveStart, 30_000_000, 3_000_000, null, false);

    static readonly PhysicalBackup Full = Backup("20261125-085955F", PhysicalBackupType.Full, T0, "0/3000100", "000000010000000000000003");
    static readonly PhysicalBackup Diff = Backup("20261125-085955F_20261125-095955D", PhysicalBackupType.Diff, T0.AddHours(1), "0/9000100", "000000010000000000000009");

    /// <summary>One stretch: the full at 09:00, the diff at 10:00, the last archived commit at 10:30.</summary>
    static RecoverableWindow Window(DateTimeOffset? lastCommit = null) => new(1, "/store/pgbackrest",
        [new RecoverableInterval(RecoverableWindow.ConsistentFrom(Full), lastCommit ?? T0.AddMinutes(90), lastCommit ?? T0.AddMinutes(90), Lsn.Parse("0/3000100"), Lsn.Parse("0/C000200"), [Full, Diff], WalSegment.Parse("00000001000000000000000C"))],
        [Full, Diff], null, null);

    [Fact]
    public void A_moment_is_restored_from_the_newest_backup_consistent_before_it()
    {
        Assert.Equal(Full.Label, Window().Locate(new RecoveryTarget.Time(T0.AddMinutes(30)))?.Backup.Label);
        Assert.Equal(Diff.Label, Window().Locate(new RecoveryTarget.Time(T0.AddMinutes(80)))?.Backup.Label);
    }

    [Fact]
    public void A_backup_serves_from_the_second_after_its_recorded_stop()
    {
        Assert.Null(Window().Locate(new RecoveryTarget.Time(T0)));
        Assert.NotNull(Window().Locate(new RecoveryTarget.Time(T0.AddSeconds(1))));
        // The diff's stop second still belongs to the full.
        Assert.Equal(Full.Label, Window().Locate(new RecoveryTarget.Time(T0.AddHours(1)))?.Backup.Label);
    }

    [Fact]
    public void A_moment_after_the_last_archived_commit_is_outside()
    {
        Assert.Null(Window().Locate(new RecoveryTarget.Time(T0.AddMinutes(90).AddTicks(10))));
    }

    [Fact]
    public void The_last_archived_commit_itself_is_inside_and_replays_to_the_end_of_the_archive()
    {
        var window = Window();
        var found = window.Locate(new RecoveryTarget.Time(T0.AddMinutes(90)));
        Assert.NotNull(found);
        // Recovery to a time stops before the next commit and fails without one: the end of the archive is the same data.
        Assert.IsType<RecoveryTarget.Latest>(RecoverableWindow.Effective(new RecoveryTarget.Time(T0.AddMinutes(90)), found.Value.Interval));
        Assert.IsType<RecoveryTarget.Time>(RecoverableWindow.Effective(new RecoveryTarget.Time(T0.AddMinutes(89)), found.Value.Interval));
    }

    [Fact]
    public void An_lsn_is_restored_from_the_newest_backup_that_ended_before_it()
    {
        Assert.Equal(Full.Label, Window().Locate(new RecoveryTarget.Lsn(Lsn.Parse("0/8FFFFFF")))?.Backup.Label);
        Assert.Equal(Diff.Label, Window().Locate(new RecoveryTarget.Lsn(Lsn.Parse("0/9000100")))?.Backup.Label);
        Assert.Null(Window().Locate(new RecoveryTarget.Lsn(Lsn.Parse("0/2FFFFFF"))));
        Assert.Null(Window().Locate(new RecoveryTarget.Lsn(Lsn.Parse("0/C000201"))));
    }

    [Fact]
    public void Latest_uses_the_newest_backup()
    {
        Assert.Equal(Diff.Label, Window().Locate(new RecoveryTarget.Latest())?.Backup.Label);
    }

    [Fact]
    public void A_refusal_says_why_and_what_the_window_is()
    {
        var early = PointInTimeRecovery.Refusal(new RecoveryTarget.Time(T0.AddDays(-1)), [Window()]);
        Assert.Equal("time 2026-11-24 09:00:00.000000Z is outside the recoverable window (it is before the oldest backup); " +
                     "recoverable: repo1 (/store/pgbackrest): 2026-11-25 09:00:01.000000Z to 2026-11-25 10:30:00.000000Z (LSN 0/3000100 to 0/C000200)", early);
        var late = PointInTimeRecovery.Refusal(new RecoveryTarget.Time(T0.AddHours(2)), [Window()]);
        Assert.Contains("later than anything the archive holds; --to latest restores everything archived", late);
        Assert.DoesNotContain("\n", late);
    }

    [Fact]
    public void A_refusal_names_the_missing_segment_when_a_gap_cuts_the_window()
    {
        var archive = ArchiveContinuity.Check(
            [new(1, "15-1", WalSegment.Parse("000000010000000000000003"), 1, T0), new(1, "15-1", WalSegment.Parse("000000010000000000000005"), 1, T0)]);
        var window = Window() with { Archive = archive };
        var message = PointInTimeRecovery.Refusal(new RecoveryTarget.Time(T0.AddHours(2)), [window]);
        Assert.Contains("WAL segment 000000010000000000000004 is missing from the archive", message);
    }

    [Fact]
    public void A_refusal_when_no_repository_can_be_read_says_so_for_each()
    {
        var message = PointInTimeRecovery.Refusal(new RecoveryTarget.Latest(), [new RecoverableWindow(1, "s3://b/p/pgbackrest", [], [], null, "unreachable: unable to connect to '127.0.0.1:1'")]);
        Assert.Equal("cannot restore to the end of the archive (latest): no repository can be read (repo1 (s3://b/p/pgbackrest): unreachable: unable to connect to '127.0.0.1:1')", message);
    }
}
