using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Monitoring;

/// <summary>One block of a Prometheus TSDB as <c>promtool tsdb list</c> shows it (times in milliseconds).</summary>
public sealed record TsdbBlock(string Id, DateTimeOffset MinTime, DateTimeOffset MaxTime, long Samples, long Series);

/// <summary>A TSDB directory read with promtool, which is also the proof that Prometheus can open it.</summary>
public static class Tsdb
{
    public static async Task<IReadOnlyList<TsdbBlock>> ListAsync(string directory, CancellationToken ct)
    {
        var prometheus = MonitoringPrograms.Locate().Prometheus;
        var promtool = Path.Combine(Path.GetDirectoryName(prometheus)!, "promtool");
        if (!File.Exists(promtool))
            throw new RecoveryException($"promtool not found beside {prometheus}; install Debian's prometheus package (it carries promtool)");
        var result = await ProcessRunner.RunAsync(new ProcessStartInfo(promtool) { ArgumentList = { "tsdb", "list", directory } }, ct, allowFailure: true);
        if (result.ExitCode != 0) throw new RecoveryException($"the TSDB in {directory} cannot be read: {result.LastErrorLine}");
        // BLOCK ULID  MIN TIME  MAX TIME  DURATION  NUM SAMPLES  NUM CHUNKS  NUM SERIES  SIZE
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length >= 8 && long.TryParse(c[1], out _))
            .Select(c => new TsdbBlock(c[0], DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(c[1], CultureInfo.InvariantCulture)),
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(c[2], CultureInfo.InvariantCulture)),
                long.Parse(c[4], CultureInfo.InvariantCulture), long.Parse(c[6], CultureInfo.InvariantCulture)))
            .ToList();
    }
}

/// <summary>
/// The monitoring part of a system backup, when the local environment runs monitoring: a TSDB snapshot of its
/// Prometheus (the admin API's snapshot: every block, the head included, hard-linked under &lt;data&gt;/snapshots/),
/// archived (tar) into one part with size and SHA-256 like the others, and the snapshot directory removed after.
/// Dashboards and alert rules are not data: they are code in the repository (monitoring/).
/// </summary>
public sealed class PrometheusSnapshotBackup(LocalMonitoringState monitoring) : ISystemPartCapture
{
    public const string PartPath = BackupPart.Folder + "monitoring/prometheus-snapshot.tar.gz";

    public SystemPart Part => SystemPart.Monitoring;

    public async Task<SystemPartCapture> CaptureAsync(string backupName, DateTimeOffset snapshotTime, IBackupStore store, CancellationToken ct)
    {
        var name = await new PrometheusApi(monitoring.PrometheusUrl).SnapshotAsync(ct);
        var directory = Path.Combine(monitoring.PrometheusData, "snapshots", name);
        try
        {
            if (!Directory.Exists(directory))
                throw new RecoveryException($"Prometheus reported snapshot {name} but {directory} does not exist; is {monitoring.PrometheusData} its --storage.tsdb.path?");
            var part = await BackupWriter.WritePartAsync(store, backupName, PartPath, BackupPart.PrometheusSnapshot, StoredPart.Compression,
                (output, token) => TarFile.CreateFromDirectoryAsync(directory, output, includeBaseDirectory: false, token), ct);
            return new SystemPartCapture([part]);
        }
        finally
        {
            // Hard links to the live blocks: removing the snapshot frees only what it alone held.
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>What a monitoring restore put back: where, its blocks, and the check that proved it readable.</summary>
public sealed record MonitoringRestored(string Into, int Blocks, long Series, DateTimeOffset? Until, string Check);

/// <summary>
/// Puts a backup's Prometheus snapshot back, only when asked (<c>restore --parts monitoring</c>): into the
/// local environment's Prometheus (stopped, its TSDB replaced, started again, and the restored data queried;
/// on any failure its previous TSDB comes back and it is started on it), or into a new or empty directory
/// for a Prometheus elsewhere (--prometheus-data). The archive is extracted and opened with promtool before
/// anything is replaced: nothing half-restored.
/// </summary>
public static class PrometheusSnapshotRestore
{
    public static async Task<MonitoringRestored> RestoreAsync(IBackupStore store, BackupManifest manifest, string workDirectory, string? into, CancellationToken ct)
    {
        var part = manifest.Parts.FirstOrDefault(p => p.Kind == BackupPart.PrometheusSnapshot)
            ?? throw new RecoveryException($"backup {manifest.Name} holds no monitoring part; parts it holds: {string.Join(", ", manifest.SystemParts.Select(p => p.Name()))}");
        if (into is not null) return await IntoDirectoryAsync(store, manifest, part, Path.GetFullPath(into), ct);

        var environment = LocalEnvironmentState.Load(workDirectory);
        var monitoring = environment.Monitoring
            ?? throw new RecoveryException($"the local environment in {environment.WorkDirectory} runs no monitoring to restore into; start it with 'autovideo-dr local up --monitoring', or name a directory with --prometheus-data; nothing was restored");
        var data = monitoring.PrometheusData;
        var staging = data + ".restoring";
        var previous = data + ".before-restore";
        var blocks = await ExtractAsync(store, manifest, part, staging, ct);

        await BackgroundProcess.StopAsync(monitoring.Process(MonitoringComponent.Prometheus), TimeSpan.FromSeconds(10), ct);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        if (Directory.Exists(data)) Directory.Move(data, previous);
        Directory.Move(staging, data);
        try
        {
            var restarted = await LocalMonitoring.RestartPrometheusAsync(workDirectory, ct);
            var check = await CheckAsync(new PrometheusApi(restarted.PrometheusUrl), blocks, ct);
            if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
            return new MonitoringRestored(data, blocks.Count, blocks.Sum(b => b.Series), blocks.Count > 0 ? blocks.Max(b => b.MaxTime) : null, check);
        }
        catch
        {
            // Back to the TSDB it had, whatever failed.
            var current = LocalEnvironmentState.Load(workDirectory).Monitoring!.Process(MonitoringComponent.Prometheus);
            await BackgroundProcess.StopAsync(current, TimeSpan.FromSeconds(10), CancellationToken.None);
            if (Directory.Exists(previous))
            {
                if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
                Directory.Move(previous, data);
            }
            try { await LocalMonitoring.RestartPrometheusAsync(workDirectory, CancellationToken.None); } catch (RecoveryException) { }
            throw;
        }
    }

    static async Task<MonitoringRestored> IntoDirectoryAsync(IBackupStore store, BackupManifest manifest, BackupPart part, string into, CancellationToken ct)
    {
        if (File.Exists(into) || (Directory.Exists(into) && Directory.EnumerateFileSystemEntries(into).Any()))
            throw new RecoveryException($"--prometheus-data {into} is not empty; accepted: a new or empty directory, the --storage.tsdb.path of a stopped Prometheus; nothing was restored");
        var parent = Path.GetDirectoryName(into)!;
        if (!Directory.Exists(parent))
            throw new RecoveryException($"--prometheus-data {into}: its parent {parent} does not exist; create it first; nothing was restored");
        var staging = into.TrimEnd('/') + ".restoring";
        var blocks = await ExtractAsync(store, manifest, part, staging, ct);
        if (Directory.Exists(into)) Directory.Delete(into);
        Directory.Move(staging, into);
        return new MonitoringRestored(into, blocks.Count, blocks.Sum(b => b.Series), blocks.Count > 0 ? blocks.Max(b => b.MaxTime) : null,
            $"promtool opens it: {blocks.Count} blocks");
    }

    /// <summary>Extracts the part (its SHA-256 checked as it streams) into <paramref name="staging"/> and opens it with promtool; removes it on any failure.</summary>
    static async Task<IReadOnlyList<TsdbBlock>> ExtractAsync(IBackupStore store, BackupManifest manifest, BackupPart part, string staging, CancellationToken ct)
    {
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            await StoredPart.ReadAsync(store, manifest, part, async (input, token) =>
            {
                await TarFile.ExtractToDirectoryAsync(input, staging, overwriteFiles: false, token);
                return true;
            }, ct);
            return await Tsdb.ListAsync(staging, ct);
        }
        catch (Exception e) when (e is not RecoveryException and not OperationCanceledException and (IOException or InvalidDataException or FormatException or UnauthorizedAccessException))
        {
            Directory.Delete(staging, recursive: true);
            throw new RecoveryException($"backup {manifest.Name}: part {part.Path} cannot be extracted ({e.Message}); nothing was restored");
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>The restored data answers: the newest block's last moment has series (up, scraped every second locally).</summary>
    static async Task<string> CheckAsync(PrometheusApi api, IReadOnlyList<TsdbBlock> blocks, CancellationToken ct)
    {
        if (blocks.Count == 0) return "the snapshot held no block; Prometheus is ready on an empty TSDB";
        var until = blocks.Max(b => b.MaxTime);
        var series = await api.SeriesAtAsync("up", until, ct);
        return series > 0
            ? $"Prometheus answers from the restored data: {series} series of up at {until:yyyy-MM-dd HH:mm:ss}Z"
            : throw new RecoveryException($"Prometheus started on the restored TSDB but holds no series of up at {until:yyyy-MM-dd HH:mm:ss}Z, the snapshot's newest moment");
    }
}
