using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Reports;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// The drill's restore path: makes sure a backup exists (taking the scheduled one from the standby
/// when the store has none), restores it over the promoted standby's data, and keeps what the
/// report needs: the backup's snapshot time (the RPO), its checksum evidence, its manifest checks.
/// </summary>
public sealed class BackupRecovery(IBackupStore store, ILoggerFactory loggers)
{
    public string? BackupName { get; private set; }
    public DateTimeOffset? Snapshot { get; private set; }
    public string? Evidence { get; private set; }
    public IReadOnlyList<TableVerification> ManifestChecks { get; private set; } = [];

    /// <summary>For "latest" with an empty store, takes a backup from <paramref name="sourceConnectionString"/>.</summary>
    public async Task<string> EnsureBackupAsync(string nameOrLatest, string sourceConnectionString, CancellationToken ct)
    {
        var complete = (await new BackupCatalog(store).ListAsync(ct)).Where(e => e.Manifest is not null).ToList();
        if (nameOrLatest != "latest" || complete.Count > 0)
            return $"restoring {nameOrLatest} from {store.Location} ({complete.Count} complete backups there)";
        var manifest = await new BackupWriter(loggers.CreateLogger<BackupWriter>()).BackupAsync(sourceConnectionString, store, new BackupOptions(), ct);
        return $"{manifest.Name} taken from the standby into {store.Location}: {manifest.Tables.Count} tables, {manifest.TotalSize} bytes";
    }

    public async Task<string> RestoreAsync(string nameOrLatest, DatabaseNode target, CancellationToken ct)
    {
        var result = await new BackupRestore(loggers.CreateLogger<BackupRestore>())
            .RestoreAsync(store, nameOrLatest, target.ConnectionString, new RestoreOptions(Force: true), ct);
        BackupName = result.Name;
        Snapshot = result.Snapshot.Time;
        Evidence = $"every part of {result.Name} ({result.BytesRead} bytes) matched its SHA-256 before the restore wrote anything";
        ManifestChecks = result.Tables.Select(t => new TableVerification(
            $"{t.Table} (manifest)", t.ExpectedRows, t.ActualRows, Math.Max(0, t.ExpectedRows - t.ActualRows), t.Passed ? 0 : 1,
            Short(t.ExpectedFingerprint), Short(t.ActualFingerprint), t.Passed)).ToList();
        if (!result.Passed)
            throw new RecoveryException($"restore of {result.Name} did not verify against its manifest ({string.Join(", ", result.Tables.Where(t => !t.Passed).Select(t => t.Table))}); nothing was committed");
        return $"{result.Name} (snapshot {result.Snapshot.Time:HH:mm:ss.fff}, LSN {result.Snapshot.Lsn}) restored into {target.Name} and verified: {result.Tables.Count} tables match the manifest";
    }

    static string Short(string fingerprint) => fingerprint.Length > 16 ? fingerprint[..16] : fingerprint;
}
