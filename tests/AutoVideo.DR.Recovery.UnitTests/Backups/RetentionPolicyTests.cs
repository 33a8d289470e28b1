using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class RetentionPolicyTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    static (string Name, DateTimeOffset Time) At(DateTimeOffset time) => (BackupName.For(time), time);

    [Fact]
    public void Four_backups_an_hour_keep_the_newest_of_each_hour_for_the_hourly_tier()
    {
        var backups = Enumerable.Range(0, 4 * 10).Select(i => At(Now.AddMinutes(-15 * i))).ToList();

        var decisions = new RetentionPolicy(KeepHourly: 5, KeepDaily: 0, KeepWeekly: 0).Decide(backups);

        var kept = decisions.Where(d => d.Keep).Select(d => d.Time).ToList();
        // 12:00 is an hour of its own; then the :45 backup of each earlier hour.
        Assert.Equal([Now, Now.AddMinutes(-15), Now.AddMinutes(-75), Now.AddMinutes(-135), Now.AddMinutes(-195)], kept);
        Assert.Equal("hourly 2026-11-25T12", decisions[0].KeptBy.Last());
    }

    [Fact]
    public void Hourly_backups_over_ninety_days_keep_48_hourly_30_daily_and_the_weekly_ones()
    {
        var backups = Enumerable.Range(0, 24 * 90).Select(i => At(Now.AddHours(-i))).ToList();

        var decisions = new RetentionPolicy().Decide(backups);

        var kept = decisions.Where(d => d.Keep).ToList();
        Assert.Equal(48, decisions.Count(d => d.KeptBy.Any(r => r.StartsWith("hourly"))));
        Assert.Equal(30, decisions.Count(d => d.KeptBy.Any(r => r.StartsWith("daily"))));
        // 90 days span 14 ISO weeks (partly); each keeps its newest backup.
        Assert.Equal(14, decisions.Count(d => d.KeptBy.Any(r => r.StartsWith("weekly"))));
        // The daily tier keeps each day's newest backup: 23:00 UTC of the days before today.
        Assert.All(decisions.Where(d => d.KeptBy.Any(r => r.StartsWith("daily")) && d.Time.Date < Now.Date), d => Assert.Equal(23, d.Time.Hour));
        // Tiers overlap: 3 daily picks (25th, 24th, 23rd) fall within the 48 hours, and 5 weekly
        // picks (Wed 25th, Sundays 22nd, 15th, 8th, 1st) within the 30 days.
        Assert.Equal(48 + (30 - 3) + (14 - 5), kept.Count);
        Assert.False(decisions[^1].Keep); // the oldest is not the newest of its week
    }

    [Fact]
    public void The_newest_backup_stays_even_when_every_tier_is_zero()
    {
        var decisions = new RetentionPolicy(0, 0, 0).Decide([At(Now), At(Now.AddDays(-1))]);

        Assert.Equal(["newest"], decisions[0].KeptBy);
        Assert.False(decisions[1].Keep);
    }

    [Fact]
    public void Negative_counts_are_refused()
    {
        var e = Assert.Throws<RecoveryException>(() => new RetentionPolicy(KeepDaily: -1).Validated());
        Assert.Contains("must be 0 or more", e.Message);
    }
}
