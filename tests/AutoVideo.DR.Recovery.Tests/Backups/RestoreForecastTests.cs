using System.Text.Json;
using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>The throughput a restore measures, and the forecast health and assess make from it.</summary>
[Collection(BackupsCollection.Name)]
public sealed class RestoreForecastTests(BackupsFixture fixture)
{
    [Fact]
    public async Task Assess_forecasts_the_newest_backups_restore_from_the_last_measured_one_and_exports_it()
    {
        using var directory = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(directory);
        // Other tests' restores of the fixture's backup left their throughput beside it: start from none.
        File.Delete(Path.Combine(directory.Path, fixture.Manifest.Name, ThroughputRecord.FileName));
        var metrics = directory.Combine("m.prom");
        string[] common = ["--workdir", fixture.WorkDirectory, "--store", directory.Path];

        var unknown = await CliRunner.RunAsync(["assess", .. common]);
        Assert.Contains($"restore forecast: {fixture.Manifest.Name}: unknown: no committed restore measured", unknown.Out);

        var restore = await CliRunner.RunAsync(["restore", "latest", "--target", fixture.NewTarget(), "--metrics-file", metrics, .. common]);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var record = await ThroughputRecord.ReadAsync(store, fixture.Manifest.Name, default);
        var timing = Assert.Single(record!.Restores);
        Assert.True(timing.Passed);
        Assert.Equal(fixture.Manifest.TotalSize, timing.StoredBytes);
        Assert.Contains(timing.Phases, p => p.Phase == TransferPhase.Verify && p.Seconds > 0);

        var assess = await CliRunner.RunAsync(["assess", "--json", .. common]);
        using var json = JsonDocument.Parse(assess.Out);
        var forecast = json.RootElement.GetProperty("restoreForecast").GetProperty("forecast");
        Assert.Equal(fixture.Manifest.Name, forecast.GetProperty("backup").GetString());
        Assert.True(TimeSpan.Parse(forecast.GetProperty("expected").GetString()!) > TimeSpan.Zero);
        Assert.All(forecast.GetProperty("objectives").EnumerateArray(), o => Assert.True(o.GetProperty("met").GetBoolean()));
        Assert.Matches(@"autovideo_dr_restore_forecast_seconds \d+(\.\d+)?\n", await File.ReadAllTextAsync(metrics));

        var health = await CliRunner.RunAsync(["health", .. common]);
        Assert.Matches(@"restore forecast: autovideo_backup_\S+ in 0:00:\d\d \(", health.Out);
        Assert.Contains("critical RTO 1 h: met", health.Out);
    }
}
