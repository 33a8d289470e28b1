using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>What a restore did: which backup went where, and what its verification found.</summary>
public sealed record RestoreOutcome(string Backup, string Detail);

/// <summary>
/// The seam to a restore engine (logical backups, point-in-time recovery): which source a restore
/// would use and what it holds, the verified restore of that source into the promoted database, and
/// whether the database already holds it. The runbooks call only this; the engines plug in here.
/// </summary>
public interface IDataRestore
{
    /// <summary>What this engine restores, in the candidates line ("backup", "point in time").</summary>
    string Kind { get; }

    /// <summary>The source names this engine understands, for the error that names none.</summary>
    string Accepts { get; }

    /// <summary>Whether <paramref name="source"/> (a fact of a run, or --restore-from) is this engine's.</summary>
    bool Owns(string source);

    /// <summary>The latest this engine can restore to, or null when it has nothing (or no store).</summary>
    Task<(string Name, RecoveryPoint Point)?> NewestAsync(EnvironmentDescription environment, CancellationToken ct);

    /// <summary>What <paramref name="backup"/> holds ("latest" is resolved), or a RecoveryException naming why it cannot be used.</summary>
    Task<(string Name, RecoveryPoint Point)> ResolveAsync(EnvironmentDescription environment, string backup, CancellationToken ct);

    Task<RestoreOutcome> RestoreAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct);

    /// <summary>Whether the target already holds <paramref name="backup"/>, restored and verified (so a resumed run never restores twice).</summary>
    Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode target, string backup, CancellationToken ct);
}

/// <summary>
/// The engines a run may restore from, in the order they are offered: each owns the source names it
/// understands, so a resumed run's recorded source reaches the engine that chose it.
/// </summary>
public sealed class RestoreSources(params IReadOnlyList<IDataRestore> engines)
{
    public IReadOnlyList<IDataRestore> Engines { get; } = engines;

    /// <summary>
    /// What is wrong with a source named by an operator (failover --restore-from, drill --restore), or
    /// null: latest, a backup's name, or a point in time.
    /// </summary>
    public static string? Problem(string source)
    {
        if (source == "latest" || Backups.BackupName.IsValid(source)) return null;
        if (!PointInTime.RecoveryTarget.IsSource(source))
            return $"'{source}' names no backup or point in time; accepted: latest, a backup name (see 'autovideo-dr backups list') or {PointInTime.RecoveryTarget.SourceForms}";
        try
        {
            PointInTime.RecoveryTarget.FromSource(source);
            return null;
        }
        catch (RecoveryException e)
        {
            return e.Message;
        }
    }

    public IDataRestore For(string source) => Engines.FirstOrDefault(e => e.Owns(source))
        ?? throw new RecoveryException($"'{source}' is no source this run can restore from; accepted: {string.Join("; ", Engines.Select(e => e.Accepts))}");
}
