using AutoVideo.DR.Recovery.PointInTime;

namespace AutoVideo.DR.Recovery.UnitTests.PointInTime;

public sealed class RecoveryTargetTests
{
    [Theory]
    [InlineData("2026-11-25T09:30:00Z", "2026-11-25T09:30:00.0000000+00:00")]
    [InlineData("2026-11-25 17:30:00.25+08:00", "2026-11-25T09:30:00.2500000+00:00")]
    [InlineData("2026-11-25T09:30:00.123456Z", "2026-11-25T09:30:00.1234560+00:00")]
    public void A_time_is_read_in_its_own_zone_and_kept_in_utc(string text, string utc)
    {
        Assert.Equal(utc, RecoveryTarget.ParseTime(text).ToString("O"));
    }

    [Theory]
    [InlineData("2026-11-25T09:30:00")]
    [InlineData("yesterday")]
    [InlineData("2026-13-25T09:30:00Z")]
    public void A_time_without_a_zone_or_unreadable_is_refused(string text)
    {
        var e = Assert.Throws<RecoveryException>(() => RecoveryTarget.ParseTime(text));
        Assert.Contains("accepted: an ISO 8601 time with its zone", e.Message);
    }

    [Fact]
    public void Exactly_one_target_is_accepted()
    {
        Assert.Null(RecoveryTarget.FromOptions(null, null, null));
        Assert.IsType<RecoveryTarget.Latest>(RecoveryTarget.FromOptions(null, null, "latest"));
        Assert.Equal(new RecoveryTarget.Lsn(0x3000060), RecoveryTarget.FromOptions(null, "0/3000060", null));
        Assert.Contains("exclude each other", Assert.Throws<RecoveryException>(() => RecoveryTarget.FromOptions("2026-11-25T09:30:00Z", "0/1", null)).Message);
        Assert.Contains("accepted: latest", Assert.Throws<RecoveryException>(() => RecoveryTarget.FromOptions(null, null, "earliest")).Message);
    }

    [Fact]
    public void Each_target_becomes_pgbackrests_recovery_options_ending_in_a_promotion()
    {
        Assert.Equal(["--type=time", "--target=2026-11-25 09:30:00.250000+00", "--target-action=promote"],
            new RecoveryTarget.Time(RecoveryTarget.ParseTime("2026-11-25T09:30:00.25Z")).RestoreArguments());
        Assert.Equal(["--type=lsn", "--target=0/3000060", "--target-action=promote"], new RecoveryTarget.Lsn(0x3000060).RestoreArguments());
        Assert.Equal(["--type=default"], new RecoveryTarget.Latest().RestoreArguments());
    }

    [Fact]
    public void The_schedule_takes_a_full_backup_a_day_and_differentials_between()
    {
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        PhysicalBackup Made(PhysicalBackupType type, double hoursAgo) =>
            new("x", type, 1, now.AddHours(-hoursAgo), now.AddHours(-hoursAgo), "0/1", "0/2", "000000010000000000000001", "000000010000000000000001", 1, 1, null, false);

        Assert.Equal(PhysicalBackupType.Full, PhysicalBackupSchedule.Next([], now));
        Assert.Equal(PhysicalBackupType.Diff, PhysicalBackupSchedule.Next([Made(PhysicalBackupType.Full, 23)], now));
        Assert.Equal(PhysicalBackupType.Full, PhysicalBackupSchedule.Next([Made(PhysicalBackupType.Full, 25), Made(PhysicalBackupType.Diff, 1)], now));
        Assert.Equal(PhysicalBackupType.Full, PhysicalBackupSchedule.Next([Made(PhysicalBackupType.Full, 2) with { Error = true }], now));
    }
}
