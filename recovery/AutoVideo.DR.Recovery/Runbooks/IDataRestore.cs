using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>What a restore did: which backup went where, and what its verification found.</summary>
public sealed record RestoreOutcome(string Backup, string Detail);

/// <summary>
/// The seam to the backup engine: restore the newest verified backup into the promoted database
/// when the replica cannot be trusted. The runbooks call only this; the engine plugs in here.
/// </summary>
public interface IDataRestore
{
    Task<RestoreOutcome> RestoreLatestAsync(EnvironmentDescription environment, DatabaseNode target, CancellationToken ct);

    /// <summary>Whether the target already holds a restored, verified copy (so a resumed run never restores twice).</summary>
    Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, CancellationToken ct);
}
