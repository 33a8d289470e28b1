namespace AutoVideo.DR.Recovery.Tests.PointInTime;

/// <summary>Command-line mistakes around point-in-time recovery: one line naming what is accepted, exit 2, before anything runs.</summary>
public sealed class PointInTimeUsageTests
{
    [Theory]
    [InlineData("--to-time 'yesterday' is not understood; accepted: an ISO 8601 time with its zone", "restore", "--to-time", "yesterday")]
    [InlineData("--to-time '2026-11-25T09:00:00' is not understood; accepted: an ISO 8601 time with its zone", "restore", "--to-time", "2026-11-25T09:00:00")]
    [InlineData("--to-time, --to exclude each other; accepted: one of --to-time, --to-lsn, --to latest", "restore", "--to-time", "2026-11-25T09:00:00Z", "--to", "latest")]
    [InlineData("--to-lsn 'nope' is not an LSN; accepted: two hexadecimal numbers", "restore", "--to-lsn", "nope")]
    [InlineData("--to 'earliest' is not understood; accepted: latest", "restore", "--to", "earliest")]
    [InlineData("--repo, --dry-run only apply to a point-in-time restore", "restore", "--repo", "1", "--dry-run")]
    [InlineData("a backup name ('autovideo_backup_20261125T093452Z') and --to-time/--to-lsn/--to exclude each other", "restore", "autovideo_backup_20261125T093452Z", "--to", "latest")]
    [InlineData("--type goes with --physical", "backup", "--type", "full")]
    [InlineData("--type 'huge' is not a backup type; accepted: full, diff, incr", "backup", "--physical", "--type", "huge")]
    public async Task A_mistake_is_a_usage_error_in_one_line(string message, params string[] args)
    {
        using var nowhere = new TemporaryDirectory();
        var result = await CliRunner.RunAsync([.. args, "--workdir", nowhere.Path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line);
        Assert.False(Directory.Exists(nowhere.Path));
    }

    [Fact]
    public async Task A_point_in_time_restore_without_an_environment_says_how_to_create_one()
    {
        using var nowhere = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("restore", "--to", "latest", "--workdir", nowhere.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("create one with 'autovideo-dr local up'", result.Error);
    }
}
