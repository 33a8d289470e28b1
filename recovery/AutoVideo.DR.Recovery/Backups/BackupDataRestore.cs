using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Runbooks;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;
using NpgsqlTypes;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The runbooks' restore step on the backup engine: the backup the run chose, verified before
/// anything is written, restored over the promoted replica's data (--force, since the replica is
/// what was judged unusable) and compared table by table with its manifest. The restore records
/// in its own transaction which backup the database holds, so a resumed run never restores twice.
/// </summary>
public sealed class BackupDataRestore(ILoggerFactory loggers) : IDataRestore
{
    public string Kind => "backup";

    public string Accepts => "latest or a backup name (see 'autovideo-dr backups list')";

    public bool Owns(string source) => source == "latest" || BackupName.IsValid(source);

    public async Task<(string Name, RecoveryPoint Point)?> NewestAsync(EnvironmentDescription environment, CancellationToken ct)
    {
        if (environment.BackupStore is null) return null;
        var newest = await WithStoreAsync(environment, async store => (await new BackupCatalog(store).ListAsync(ct)).FirstOrDefault(e => e.Manifest is not null));
        return newest is null ? null : (newest.Name, Point(newest.Manifest!));
    }

    public async Task<(string Name, RecoveryPoint Point)> ResolveAsync(EnvironmentDescription environment, string backup, CancellationToken ct)
    {
        var manifest = await WithStoreAsync(environment, store => new BackupCatalog(store).ResolveAsync(backup, ct));
        return (manifest.Name, Point(manifest));
    }

    public async Task<RestoreOutcome> RestoreAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct)
    {
        var result = await WithStoreAsync(environment, store => new BackupRestore(loggers.CreateLogger<BackupRestore>())
            .RestoreAsync(store, backup, target.ConnectionString, new RestoreOptions(Force: true), ct));
        if (!result.Passed) throw new RecoveryException(result.FailureMessage);
        // A resumed run decides by this record whether to restore again: without it, stop here.
        if (result.NotRecorded is { } why) throw new RecoveryException($"{why}; restore as the database owner so the run can resume exactly");
        return new RestoreOutcome(result.Name,
            $"{result.Tables.Count} tables verified against the manifest{(result.Skipped.Count > 0 ? $" (not in the backup, so not verified: {RestoreResult.Describe(result.Skipped)})" : "")}; data as of LSN {result.Snapshot.Lsn}, {result.Snapshot.Time:O} ({(result.Snapshot.Basis == SnapshotTimeBasis.LastReplayedCommit ? "the standby's last replayed commit" : "the source's clock")})");
    }

    public async Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct)
    {
        var restored = await RestoreRecord.ReadAsync(target.ConnectionString, ct);
        return restored is not null && restored == backup
            ? StepCheck.Yes($"{target.Name} holds {restored}, verified when it was restored")
            : StepCheck.No(restored is null ? $"{target.Name} holds no restored backup" : $"{target.Name} holds {restored}, not {backup}, the backup this run chose");
    }

    static RecoveryPoint Point(BackupManifest manifest) => new(
        $"backup {manifest.Name}",
        NpgsqlLogSequenceNumber.TryParse(manifest.Snapshot.Lsn, out var lsn) ? (ulong)lsn : null,
        manifest.Snapshot.Time);

    static async Task<T> WithStoreAsync<T>(EnvironmentDescription environment, Func<IBackupStore, Task<T>> use)
    {
        var store = BackupStore.Open(environment.BackupStore
            ?? throw new RecoveryException($"environment '{environment.Name}' names no backup store to restore from"));
        try { return await use(store); }
        finally { (store as IDisposable)?.Dispose(); }
    }
}
