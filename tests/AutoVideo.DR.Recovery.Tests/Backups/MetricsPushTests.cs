using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// --metrics-push against the real prometheus-pushgateway: what reaches it is what Prometheus would
/// scrape (job per command, grouped by store), a failure is pushed too, and a gateway that is down
/// costs a warning, never the backup.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class MetricsPushTests(BackupsFixture fixture, PushgatewayFixture gateway) : IClassFixture<PushgatewayFixture>, IDisposable
{
    readonly TemporaryDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task A_backup_pushes_its_catalog_and_success_gauges_grouped_by_job_and_store_and_still_writes_the_file()
    {
        using var store = new TemporaryDirectory();
        var metricsFile = scratch.Combine("backup.prom");
        var result = await CliRunner.RunAsync("backup", "--from", "standby", "--workdir", fixture.WorkDirectory, "--store", store.Path,
            "--metrics-file", metricsFile, "--metrics-push", gateway.Url);
        Assert.True(result.ExitCode == 0, result.ToString());

        var pushed = (await gateway.SamplesAsync()).Where(s => s.Labels.GetValueOrDefault("store") == store.Path).ToList();
        Assert.All(pushed, s => Assert.Equal("autovideo-dr-backup", s.Labels["job"]));
        var newest = new BackupCatalog(new Recovery.Stores.DirectoryStore(store.Path)).LatestAsync(CancellationToken.None);
        var snapshot = (await newest).Time.ToUnixTimeMilliseconds() / 1000.0;
        Assert.Equal(snapshot, Value(pushed, BackupMetrics.NewestTimestamp), 3);
        Assert.Equal(1, Value(pushed, BackupMetrics.BackupSuccess));
        Assert.Equal(1, Value(pushed, BackupMetrics.Count));
        Assert.InRange(Value(pushed, BackupMetrics.BackupTimestamp), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        // The textfile gets the same gauges.
        var file = await BackupMetrics.ReadAsync(metricsFile, CancellationToken.None);
        Assert.Equal(file[BackupMetrics.NewestTimestamp], Value(pushed, BackupMetrics.NewestTimestamp), 3);
    }

    [Fact]
    public async Task A_failed_backup_pushes_last_success_0_and_keeps_the_groups_newest_backup_time()
    {
        using var store = new TemporaryDirectory();
        string[] common = ["--workdir", fixture.WorkDirectory, "--store", store.Path, "--metrics-file", scratch.Combine("m.prom"), "--metrics-push", gateway.Url];
        var first = await CliRunner.RunAsync(["backup", "--from", "standby", .. common]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = Value(await StoreSamplesAsync(store.Path), BackupMetrics.NewestTimestamp);

        // A database that does not exist: the backup fails after the store was opened.
        var failed = await CliRunner.RunAsync(["backup", "--from", $"Host=127.0.0.1;Port={fixture.State.Nodes[0].Port};Username=postgres;Database=no_such_db;Timeout=3", .. common]);

        Assert.Equal(1, failed.ExitCode);
        var after = await StoreSamplesAsync(store.Path);
        Assert.Equal(0, Value(after, BackupMetrics.BackupSuccess));
        Assert.Equal(before, Value(after, BackupMetrics.NewestTimestamp));
    }

    [Fact]
    public async Task A_restore_pushes_its_success_and_when_it_ran_as_job_autovideo_dr_restore()
    {
        var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var result = await CliRunner.RunAsync("restore", "latest", "--workdir", fixture.WorkDirectory, "--target", fixture.NewTarget(),
            "--metrics-file", scratch.Combine("restore.prom"), "--metrics-push", gateway.Url);
        Assert.True(result.ExitCode == 0, result.ToString());

        var pushed = (await gateway.SamplesAsync()).Where(s => s.Labels["job"] == "autovideo-dr-restore" && s.Labels["store"] == fixture.State.BackupDirectory).ToList();
        Assert.Equal(1, Value(pushed, BackupMetrics.RestoreSuccess));
        Assert.InRange(Value(pushed, BackupMetrics.RestoreTimestamp), started, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(Value(pushed, BackupMetrics.RestoreBackupAge) >= 0);
    }

    [Fact]
    public async Task A_pushgateway_that_is_down_is_a_warning_and_the_command_succeeds_with_its_file_written()
    {
        var metricsFile = scratch.Combine("list.prom");
        var closed = $"http://127.0.0.1:{Postgres.FreePort.Pick()}";
        var result = await CliRunner.RunAsync("backups", "list", "--workdir", fixture.WorkDirectory, "--metrics-file", metricsFile, "--metrics-push", closed);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(fixture.Manifest.Name, result.Out);
        Assert.Contains($"autovideo-dr: warning: metrics not pushed: the Pushgateway at {closed}/ is unreachable", result.Error);
        Assert.True((await BackupMetrics.ReadAsync(metricsFile, CancellationToken.None)).ContainsKey(BackupMetrics.NewestTimestamp));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://pushgateway:9091")]
    public async Task A_metrics_push_that_is_not_an_http_url_is_a_usage_error_before_anything_runs(string url)
    {
        var metricsFile = scratch.Combine("never.prom");
        var result = await CliRunner.RunAsync("backup", "--workdir", fixture.WorkDirectory, "--store", scratch.Combine("store"), "--metrics-file", metricsFile, "--metrics-push", url);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--metrics-push '{url}' is not an http(s) URL", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(metricsFile));
        Assert.False(Directory.Exists(scratch.Combine("store")));
    }

    async Task<List<ExposedSample>> StoreSamplesAsync(string store) =>
        (await gateway.SamplesAsync()).Where(s => s.Labels.GetValueOrDefault("store") == store).ToList();

    static double Value(IEnumerable<ExposedSample> samples, string name) =>
        samples.SingleOrDefault(s => s.Name == name)?.Value ?? throw new Xunit.Sdk.XunitException($"{name} was not pushed (pushed: {string.Join(", ", samples.Select(s => s.Name))})");
}
