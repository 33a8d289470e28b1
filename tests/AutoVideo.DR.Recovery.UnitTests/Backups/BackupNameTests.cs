using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class BackupNameTests
{
    static readonly DateTimeOffset Time = new(2026, 11, 25, 9, 34, 52, 123, TimeSpan.Zero);

    [Fact]
    public void A_name_carries_the_time_to_the_millisecond_and_a_unique_part()
    {
        var name = BackupName.For(Time);

        Assert.Matches(@"^autovideo_backup_20261125T093452\.123Z_[0-9a-f]{8}$", name);
        Assert.Equal(Time, BackupName.TimeOf(name));
        Assert.NotEqual(name, BackupName.For(Time)); // the same instant, another name
    }

    [Fact]
    public void Names_sort_by_time_as_text()
    {
        var times = Enumerable.Range(0, 50).Select(i => Time.AddMilliseconds(i * 37_003)).ToList();
        var names = times.Select(BackupName.For).Reverse().ToList();

        Assert.Equal(times, names.Order(StringComparer.Ordinal).Select(n => BackupName.TimeOf(n)!.Value));
    }

    [Fact]
    public void The_older_names_already_in_stores_are_still_read()
    {
        Assert.True(BackupName.IsValid("autovideo_backup_20261125T093452Z"));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 34, 52, TimeSpan.Zero), BackupName.TimeOf("autovideo_backup_20261125T093452Z"));
        Assert.Equal("autovideo_backup_20261125T093452Z", BackupName.Validate("autovideo_backup_20261125T093452Z"));
    }

    [Theory]
    [InlineData("autovideo_backup_20261325T093452Z")] // month 13
    [InlineData("autovideo_backup_20260230T093452.000Z_0123abcd")] // 30 February
    [InlineData("autovideo_backup_20261125T246000Z")]
    public void A_name_shaped_right_whose_time_is_not_real_is_malformed(string name)
    {
        Assert.True(BackupName.LooksLike(name));
        Assert.False(BackupName.IsValid(name));
        Assert.Null(BackupName.TimeOf(name));
        Assert.Contains("not a real UTC time", BackupName.Malformation(name));
        var e = Assert.Throws<RecoveryException>(() => BackupName.Validate(name));
        Assert.Contains("malformed backup name", e.Message);
    }

    [Theory]
    [InlineData("autovideo_backup_20261125T093452")]
    [InlineData("autovideo_backup_20261125T093452.123Z")] // no unique part
    [InlineData("autovideo_backup_20261125T093452.123Z_0123ABCD")] // upper case
    [InlineData("backup_20261125T093452Z")]
    [InlineData("autovideo_backup_20261125T093452Z/../x")]
    public void Anything_else_is_not_a_backup_name(string name)
    {
        Assert.False(BackupName.LooksLike(name));
        Assert.Null(BackupName.Malformation(name));
        var e = Assert.Throws<RecoveryException>(() => BackupName.Validate(name));
        Assert.Contains("is not a backup name; accepted: autovideo_backup_<yyyyMMddTHHmmss.fffZ>_<8 hex digits>", e.Message);
    }
}
