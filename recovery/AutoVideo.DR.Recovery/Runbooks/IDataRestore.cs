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

/// <summary>Stands in until a backup engine is plugged in: a restore it is asked for fails with what to do instead.</summary>
public sealed class NoDataRestore : IDataRestore
{
    public Task<RestoreOutcome> RestoreLatestAsync(EnvironmentDescription environment, DatabaseNode target, CancellationToken ct) =>
        throw new RecoveryException($"the replica {target.Name} is unusable and no backup restore is available in this build; restore the newest backup into {target.Name} by hand, then run the same command again to resume");

    public Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, CancellationToken ct) =>
        Task.FromResult(StepCheck.No("no backup restore is available in this build"));
}
