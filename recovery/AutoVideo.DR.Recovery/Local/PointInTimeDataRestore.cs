using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Runbooks;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// The runbooks' restore step on pgBackRest: the promoted node is restored in place to
/// <paramref name="target"/> (a moment before the damage, or the end of the archive) from the
/// environment's repositories. The node's data directory records what it was restored to, so a
/// resumed run does not restore twice.
/// </summary>
public sealed class PointInTimeDataRestore(string workDirectory, RecoveryTarget target, ILoggerFactory loggers) : IDataRestore
{
    public async Task<RestoreOutcome> RestoreLatestAsync(EnvironmentDescription environment, DatabaseNode node, CancellationToken ct)
    {
        var result = await new LocalPointInTime(workDirectory, loggers).RestoreNodeAsync(node.Name, target, repository: null, ct);
        var r = result.Restore;
        return new RestoreOutcome(r.Plan.Backup.Label,
            $"{node.Name} restored to {target.Describe()} from repo{r.Plan.Repository}: last commit applied {(r.LastCommit is { } c ? RecoverableWindow.Moment(c) : "none")}, " +
            $"timeline {r.Timeline}; {result.TotalDuration.TotalSeconds:0.0} s (restore {r.RestoreDuration.TotalSeconds:0.0} s, recovery {r.RecoveryDuration.TotalSeconds:0.0} s, switch {result.SwitchDuration.TotalSeconds:0.0} s)");
    }

    public Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode node, CancellationToken ct)
    {
        var state = LocalEnvironmentState.Load(Path.GetFullPath(workDirectory));
        var data = state.Nodes.FirstOrDefault(n => n.Name == node.Name)?.DataDirectory;
        var restored = data is null ? null : LocalPointInTime.RestoredTo(data);
        return Task.FromResult(restored == target.Describe()
            ? StepCheck.Yes($"{node.Name} holds a restore to {restored}")
            : StepCheck.No(restored is null ? $"{node.Name} holds no point-in-time restore" : $"{node.Name} was restored to {restored}, not {target.Describe()}"));
    }
}
