using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;

namespace AutoVideo.DR.Recovery.Tests.Monitoring;

/// <summary>
/// The monitoring data in the recovery point: a real Prometheus's TSDB snapshot taken by every system
/// backup while monitoring runs, and put back only when asked, into a directory or into the local
/// Prometheus itself.
/// </summary>
public sealed class MonitoringBackupTests
{
    [Fact]
    public async Task A_backup_takes_a_tsdb_snapshot_and_a_restore_puts_it_back_verified_or_changes_nothing()
    {
        await using var environment = await OwnEnvironment.StartAsync(directory => new LocalEnvironmentOptions(directory, Monitoring: true));
        using var elsewhere = new TemporaryDirectory();
        Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync([.. args, "--workdir", environment.WorkDirectory]);
        var prometheus = new PrometheusApi(environment.State.Monitoring!.PrometheusUrl);
        // A few scrapes in the head block, which the snapshot writes out as a block of its own.
        await Sql.EventuallyAsync(async () => await prometheus.SeriesAtAsync("up", DateTimeOffset.UtcNow.AddSeconds(-2), default) > 0, "Prometheus scraping the exporters");

        var backup = await Cli("backup", "--json");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        var json = JsonDocument.Parse(backup.Out).RootElement;
        Assert.Contains("monitoring", json.GetProperty("parts").EnumerateArray().Select(p => p.GetString()));
        var name = json.GetProperty("name").GetString()!;
        var part = Path.Combine(environment.State.BackupDirectory, name, PrometheusSnapshotBackup.PartPath);
        var entries = new List<string>();
        await using (var gzip = new GZipStream(File.OpenRead(part), CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
            while (await tar.GetNextEntryAsync() is { } entry) entries.Add(entry.Name);
        Assert.Contains(entries, e => e.EndsWith("/meta.json", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.EndsWith("/index", StringComparison.Ordinal));
        // The snapshot's hard links do not stay behind in Prometheus's data directory.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(environment.State.Monitoring.PrometheusData, "snapshots")));
        Assert.Contains("database+cache+monitoring", (await Cli("backups", "list")).Out);

        Directory.CreateDirectory(elsewhere.Path);
        var into = elsewhere.Combine("prometheus-data");
        var restoredInto = await Cli("restore", name, "--parts", "monitoring", "--prometheus-data", into);
        Assert.True(restoredInto.ExitCode == 0, restoredInto.ToString());
        Assert.NotEmpty(await Tsdb.ListAsync(into, default));
        var again = await Cli("restore", name, "--parts", "monitoring", "--prometheus-data", into);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"--prometheus-data {into} is not empty; accepted: a new or empty directory", again.Error);

        var before = environment.Current.Monitoring!.Process(MonitoringComponent.Prometheus);
        var restored = await Cli("restore", name, "--parts", "monitoring");

        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Matches(@"Prometheus answers from the restored data: \d+ series of up at", restored.Out);
        var after = environment.Current.Monitoring!.Process(MonitoringComponent.Prometheus);
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.True(after.IsRunning());
        Assert.False(Directory.Exists(environment.State.Monitoring.PrometheusData + ".before-restore"));

        // A damaged snapshot is refused before Prometheus is touched.
        var bytes = await File.ReadAllBytesAsync(part);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(part, bytes);
        var damaged = await Cli("restore", name, "--parts", "monitoring");
        Assert.Equal(1, damaged.ExitCode);
        Assert.Contains("is damaged", damaged.Error);
        Assert.Contains("nothing was restored", damaged.Error);
        Assert.Equal(after.Pid, environment.Current.Monitoring!.Process(MonitoringComponent.Prometheus).Pid);
        Assert.True(after.IsRunning());
    }
}
