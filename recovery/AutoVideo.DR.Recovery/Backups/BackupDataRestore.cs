using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Runbooks;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The runbooks' restore step on the backup engine: the newest backup in the environment's store,
/// verified before anything is written, restored over the promoted replica's data (--force, since
/// the replica is what was judged unusable) and compared table by table with its manifest.
/// The database remembers which backup it holds, so a resumed run never restores twice.
/// </summary>
public sealed class BackupDataRestore(ILoggerFactory loggers) : IDataRestore
{
    public async Task<RestoreOutcome> RestoreLatestAsync(EnvironmentDescription environment, DatabaseNode target, CancellationToken ct)
    {
        var store = Store(environment);
        var result = await new BackupRestore(loggers.CreateLogger<BackupRestore>())
            .RestoreAsync(store, "latest", target.ConnectionString, new RestoreOptions(Force: true), ct);
        if (!result.Passed) throw new RecoveryException(result.FailureMessage);
        // A resumed run decides by this record whether to restore again: without it, stop here.
        if (result.NotRecorded is { } why) throw new RecoveryException($"{why}; restore as the database owner so the run can resume exactly");
        return new RestoreOutcome(result.Name,
            $"{result.Tables.Count} tables verified against the manifest; data as of {result.Snapshot.Time:O} (age {result.BackupAge.TotalSeconds:0} s: the RPO of this restore)");
    }

    public async Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, CancellationToken ct)
    {
        var latest = await new BackupCatalog(Store(environment)).LatestAsync(ct);
        var restored = await RestoreRecord.ReadAsync(target.ConnectionString, ct);
        return restored is not null && restored == latest.Name
            ? StepCheck.Yes($"{target.Name} holds {restored}, verified when it was restored")
            : StepCheck.No(restored is null ? $"{target.Name} holds no restored backup" : $"{target.Name} holds {restored}, not the newest {latest.Name}");
    }

    static IBackupStore Store(EnvironmentDescription environment) =>
        BackupStore.Open(environment.BackupStore
            ?? throw new RecoveryException($"environment '{environment.Name}' names no backup store to restore from"));
}
