using System.Text.Json;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>The backup commands as an operator (or a cron job) runs them: exit codes, one-line errors, results and metrics.</summary>
[Collection(BackupsCollection.Name)]
public sealed class BackupCliTests(BackupsFixture fixture, MotoS3Fixture moto) : IDisposable
{
    /// <summary>Where tests that do not look at metrics still write them: never a shared file.</summary>
    readonly TemporaryDirectory scratch = new();

    string UnusedMetrics => scratch.Combine("unused.prom");

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task Backup_list_latest_and_verify_work_together_and_feed_the_metrics_file()
    {
        using var store = new TemporaryDirectory();
        var metrics = store.Combine("metrics", "backups.prom");
        string[] common = ["--workdir", fixture.WorkDirectory, "--store", store.Path, "--metrics-file", metrics];

        var backup = await CliRunner.RunAsync(["backup", "--from", "standby", .. common]);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("from the standby", backup.Out);
        Assert.Contains("backup:", backup.Error); // plain progress lines when stderr is not a terminal

        var latest = (await CliRunner.RunAsync(["backups", "latest", .. common])).Out.Trim();
        Assert.Matches(@"^autovideo_backup_\d{8}T\d{6}\.\d{3}Z_[0-9a-f]{8}$", latest);

        var verify = await CliRunner.RunAsync(["backups", "verify", latest, .. common]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("every size and SHA-256 matches", verify.Out);

        var list = await CliRunner.RunAsync(["backups", "list", "--json", .. common]);
        var entry = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(latest, entry.GetProperty("name").GetString());
        Assert.True(entry.GetProperty("verified").GetBoolean());
        Assert.Equal(fixture.Manifest.Tables.Count, entry.GetProperty("tables").GetInt32());

        var prom = await File.ReadAllTextAsync(metrics);
        foreach (var line in new[] { "autovideo_dr_backup_last_success 1", "autovideo_dr_verify_last_success 1", "# TYPE autovideo_dr_backup_newest_age_seconds gauge" })
            Assert.Contains(line, prom);
        Assert.Matches(@"autovideo_dr_backup_newest_size_bytes [1-9]\d*", prom);
        Assert.Matches(@"autovideo_dr_backup_last_duration_seconds \d", prom);
    }

    [Fact]
    public async Task Verify_of_a_damaged_backup_exits_non_zero_naming_the_part()
    {
        using var copy = new TemporaryDirectory();
        fixture.CopyOfBackup(copy);
        var part = fixture.Manifest.Parts.Last(p => p.Kind == BackupPart.TableData);
        var path = Path.Combine(copy.Path, fixture.Manifest.Name, part.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x80;
        await File.WriteAllBytesAsync(path, bytes);

        var result = await CliRunner.RunAsync("backups", "verify", "--store", copy.Path, "--metrics-file", copy.Combine("m.prom"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: backup {fixture.Manifest.Name}: part {part.Path} is damaged", result.Error);
        Assert.Contains("autovideo_dr_verify_last_success 0", await File.ReadAllTextAsync(copy.Combine("m.prom")));
        var list = await CliRunner.RunAsync("backups", "list", "--store", copy.Path, "--metrics-file", copy.Combine("m.prom"));
        Assert.Contains("FAILED", list.Out);
    }

    [Fact]
    public async Task Prune_shows_with_dry_run_and_then_deletes_what_the_tiers_do_not_keep()
    {
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);
        var now = DateTimeOffset.UtcNow;
        // Synthetic backups: the fixture's manifest under names a few hours, days and weeks old.
        foreach (var age in new[] { TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(3), TimeSpan.FromDays(2), TimeSpan.FromDays(3), TimeSpan.FromDays(40) })
            await fixture.SyntheticAsync(store, now - age);
        await store.WriteAllBytesAsync($"{BackupName.For(now.AddDays(-5))}/parts/schema-pre-data.sql.gz", [1, 2, 3], default); // an interrupted one
        // Daily 1 keeps the newest backup's day, whatever the hour: with 2, the three hourly backups fell on two
        // days before 02:00 UTC and the result depended on when the test ran (CI failed at 01:36).
        string[] args = ["backups", "prune", "--store", directory.Path, "--keep-hourly", "2", "--keep-daily", "1", "--keep-weekly", "0", "--metrics-file", directory.Combine("m.prom")];

        var dryRun = await CliRunner.RunAsync([.. args, "--dry-run"]);

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains("5 would be deleted (dry run), 2 kept", dryRun.Out);
        Assert.Contains("incomplete (no manifest)", dryRun.Out);
        Assert.Equal(7, Directory.GetDirectories(directory.Path).Length);

        var prune = await CliRunner.RunAsync(args);

        Assert.Contains("5 deleted, 2 kept", prune.Out);
        Assert.Equal(2, (await new BackupCatalog(store).ListAsync(default)).Count);
        Assert.Empty(await new BackupCatalog(store).IncompleteAsync(default));
    }

    [Fact]
    public async Task Wrong_s3_credentials_are_reported_in_one_line()
    {
        var result = await CliRunner.RunAsync(
            ["backups", "list", "--store", $"s3://{MotoS3Fixture.Bucket}", "--s3-endpoint", moto.AuthenticatingEndpoint, "--s3-path-style", "--metrics-file", UnusedMetrics],
            MotoS3Fixture.CliEnvironment("AKIAWRONGWRONGWRONG0", "not-the-secret"));

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("S3 refused access to s3://autovideo-backups", line);
        Assert.Contains("check AWS_ACCESS_KEY_ID", line);
    }

    [Fact]
    public async Task An_unreachable_s3_endpoint_is_reported_in_one_line()
    {
        var closed = $"http://127.0.0.1:{FreePort.Pick()}";
        var result = await CliRunner.RunAsync(
            ["backups", "list", "--store", "s3://somewhere/backups", "--s3-endpoint", closed, "--s3-path-style", "--metrics-file", UnusedMetrics],
            MotoS3Fixture.CliEnvironment());

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(closed, line);
        Assert.Contains("unreachable", line);
    }

    [Fact]
    public async Task A_backup_through_the_cli_into_s3_is_listed_there()
    {
        var location = $"s3://{MotoS3Fixture.Bucket}/cli-{Guid.NewGuid():N}";
        string[] s3 = ["--store", location, "--s3-endpoint", moto.Endpoint, "--s3-path-style", "--workdir", fixture.WorkDirectory];

        var backup = await CliRunner.RunAsync(["backup", .. s3], MotoS3Fixture.CliEnvironment());
        var list = await CliRunner.RunAsync(["backups", "list", .. s3], MotoS3Fixture.CliEnvironment());

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains(backup.Out.Split(':')[0], list.Out);
        Assert.Contains("no", list.Out); // not verified yet
    }

    [Theory]
    [InlineData("not a backup name", "restore", "not-a-backup", "--store", "/tmp")]
    [InlineData("unknown store 'ftp://host/x'", "backups", "list", "--store", "ftp://host/x")]
    [InlineData("names no bucket", "backups", "list", "--store", "s3://")]
    [InlineData("store /tmp/avdr-no-such-store does not exist; check --store", "backups", "verify", "--store", "/tmp/avdr-no-such-store")]
    [InlineData("no --store given and no local environment", "backups", "list", "--workdir", "/tmp/avdr-no-such-workdir")]
    [InlineData("compression 'brotli' is not supported; accepted: gzip (levels 1-9), zstd (1-19), lz4 (0-12) or none", "backup", "--compression", "brotli", "--store", "/tmp/avdr-no-such-store")]
    [InlineData("compression level 10 is out of range for gzip", "backup", "--compression", "gzip", "--compression-level", "10", "--store", "/tmp/avdr-no-such-store")]
    public async Task Bad_input_fails_with_one_line_naming_what_is_accepted(string message, params string[] args)
    {
        var result = await CliRunner.RunAsync([.. args, "--metrics-file", UnusedMetrics]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Assert.Contains(message, line);
    }

    [Fact]
    public async Task An_unknown_source_is_a_usage_error_naming_what_is_accepted()
    {
        using var store = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("backup", "--from", "replica", "--workdir", fixture.WorkDirectory, "--store", store.Path, "--metrics-file", store.Combine("m.prom"));

        // Refused by the parser like every other bad option: nothing ran, so nothing is recorded.
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--from 'replica' is not understood; accepted: primary, standby or a connection string", result.Error);
        Assert.False(File.Exists(store.Combine("m.prom")));
    }

    [Fact]
    public async Task A_backup_that_cannot_open_its_store_is_recorded_as_failed()
    {
        var result = await CliRunner.RunAsync("backup", "--store", "ftp://host/backups", "--workdir", fixture.WorkDirectory, "--metrics-file", UnusedMetrics);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown store 'ftp://host/backups'", result.Error);
        Assert.Contains("autovideo_dr_backup_last_success 0", await File.ReadAllTextAsync(UnusedMetrics));
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync("backups", "prune", "--keep-monthly", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unrecognized command or argument '--keep-monthly'", result.Error);
    }
}
