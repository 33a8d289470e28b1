using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>What a restore did: which backup went where, and what its verification found.</summary>
public sealed record RestoreOutcome(string Backup, string Detail);

/// <summary>
/// The seam to the backup engine: which backup a restore would use and what it holds, the verified
/// restore of that backup into the promoted database, and whether the database already holds it.
/// The runbooks call only this; the engine plugs in here.
/// </summary>
public interface IDataRestore
{
    /// <summary>The newest complete backup of the environment's store, or null when there is none (or no store).</summary>
    Task<(string Name, RecoveryPoint Point)?> NewestAsync(EnvironmentDescription environment, CancellationToken ct);

    /// <summary>What <paramref name="backup"/> holds ("latest" is resolved), or a RecoveryException naming why it cannot be used.</summary>
    Task<(string Name, RecoveryPoint Point)> ResolveAsync(EnvironmentDescription environment, string backup, CancellationToken ct);

    Task<RestoreOutcome> RestoreAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct);

    /// <summary>Whether the target already holds <paramref name="backup"/>, restored and verified (so a resumed run never restores twice).</summary>
    Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct);
}
