using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class RetentionPolicyTests
{
    /// <summary>A Wednesday, noon UTC.</summary>
    static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    static (string Name, DateTimeOffset Time) At(DateTimeOffset time) => (BackupName.For(time), time);

    static bool KeptByTier(RetentionDecision d, BackupTier tier) => d.KeptBy.Any(k => k.Tier == tier);

    [Fact]
    public void Four_backups_an_hour_keep_the_newest_of_each_hour_for_the_hourly_tier()
    {
        var backups = Enumerable.Range(0, 4 * 10).Select(i => At(Now.AddMinutes(-15 * i))).ToList();

        var decisions = new RetentionPolicy(KeepHourly: 5, KeepDaily: 0, KeepWeekly: 0).Decide(backups, Now);

        var kept = decisions.Where(d => d.Keep).Select(d => d.Time).ToList();
        // 12:00 is an hour of its own; then the :45 backup of each earlier hour.
        Assert.Equal([Now, Now.AddMinutes(-15), Now.AddMinutes(-75), Now.AddMinutes(-135), Now.AddMinutes(-195)], kept);
        Assert.Equal("hourly 2026-11-25T12", decisions[0].KeptBy.Last().ToString());
    }

    [Fact]
    public void Hourly_backups_over_ninety_days_keep_48_hourly_30_daily_and_the_weekly_ones()
    {
        var backups = Enumerable.Range(0, 24 * 90).Select(i => At(Now.AddHours(-i))).ToList();

        var decisions = RetentionPolicy.Default.Decide(backups, Now);

        var kept = decisions.Where(d => d.Keep).ToList();
        Assert.Equal(48, decisions.Count(d => KeptByTier(d, BackupTier.Hourly)));
        Assert.Equal(30, decisions.Count(d => KeptByTier(d, BackupTier.Daily)));
        // 90 days span 14 ISO weeks (partly); each keeps its newest backup.
        Assert.Equal(14, decisions.Count(d => KeptByTier(d, BackupTier.Weekly)));
        // The daily tier keeps each day's newest backup: 23:00 UTC of the days before today.
        Assert.All(decisions.Where(d => KeptByTier(d, BackupTier.Daily) && d.Time.Date < Now.Date), d => Assert.Equal(23, d.Time.Hour));
        // Tiers overlap: 3 daily picks (25th, 24th, 23rd) fall within the 48 hours, and 5 weekly
        // picks (Wed 25th, Sundays 22nd, 15th, 8th, 1st) within the 30 days.
        Assert.Equal(48 + (30 - 3) + (14 - 5), kept.Count);
        Assert.False(decisions[^1].Keep); // the oldest is not the newest of its week
    }

    [Fact]
    public void The_defaults_are_the_policy_files_keep_counts()
    {
        Assert.Equal(
            [BackupTier.Hourly.Rule().Keep, BackupTier.Daily.Rule().Keep, BackupTier.Weekly.Rule().Keep],
            [RetentionPolicy.Default.KeepHourly, RetentionPolicy.Default.KeepDaily, RetentionPolicy.Default.KeepWeekly]);
    }

    [Fact]
    public void The_newest_backup_stays_even_when_every_tier_is_zero()
    {
        var decisions = new RetentionPolicy(0, 0, 0).Decide([At(Now), At(Now.AddDays(-1))], Now);

        Assert.Equal(["newest"], decisions[0].KeptBy.Select(k => k.ToString()));
        Assert.Equal(BackupTier.Hourly, decisions[0].Tier);
        Assert.False(decisions[1].Keep);
        Assert.Null(decisions[1].Tier);
    }

    [Fact]
    public void A_pick_is_promoted_only_once_its_period_has_ended()
    {
        // Today's newest (Wednesday 11:30) is the day's and the week's pick, but a later backup
        // today could replace it: it stays hourly. Yesterday's 23:00 is a settled daily pick.
        // Sunday 22nd 23:00 is the settled pick of last week (and of its day).
        var today = At(Now.AddMinutes(-30));
        var yesterday = At(new DateTimeOffset(2026, 11, 24, 23, 0, 0, TimeSpan.Zero));
        var sunday = At(new DateTimeOffset(2026, 11, 22, 23, 0, 0, TimeSpan.Zero));
        var sundayEarlier = At(new DateTimeOffset(2026, 11, 22, 22, 0, 0, TimeSpan.Zero));

        var decisions = new RetentionPolicy(KeepHourly: 1, KeepDaily: 30, KeepWeekly: 52).Decide([today, yesterday, sunday, sundayEarlier], Now)
            .ToDictionary(d => d.Name);

        Assert.Equal(BackupTier.Hourly, decisions[today.Name].Tier);
        Assert.Contains(decisions[today.Name].KeptBy, k => k.Tier == BackupTier.Weekly && !k.Settled);
        Assert.Equal(BackupTier.Daily, decisions[yesterday.Name].Tier);
        Assert.Equal(BackupTier.Weekly, decisions[sunday.Name].Tier);
        Assert.Equal("weekly 2026-W47", decisions[sunday.Name].KeptBy.Single(k => k.Tier == BackupTier.Weekly).ToString());
        Assert.False(decisions[sundayEarlier.Name].Keep);
    }

    [Fact]
    public void The_last_day_of_a_week_is_settled_at_monday_midnight_utc()
    {
        var sunday = At(new DateTimeOffset(2026, 11, 29, 23, 59, 0, TimeSpan.Zero));
        var policy = new RetentionPolicy(0, 0, KeepWeekly: 1);

        Assert.Equal(BackupTier.Hourly, policy.Decide([sunday], new DateTimeOffset(2026, 11, 29, 23, 59, 59, TimeSpan.Zero))[0].Tier);
        Assert.Equal(BackupTier.Weekly, policy.Decide([sunday], new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero))[0].Tier);
    }

    [Fact]
    public void Negative_counts_are_refused()
    {
        var e = Assert.Throws<RecoveryException>(() => (RetentionPolicy.Default with { KeepDaily = -1 }).Validated());
        Assert.Contains("must be 0 or more", e.Message);
    }
}
