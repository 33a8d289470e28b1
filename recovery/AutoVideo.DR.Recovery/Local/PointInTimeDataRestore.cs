using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Runbooks;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// The runbooks' restore step on pgBackRest: the promoted node is restored in place to a moment
/// (before the damage, or the end of the archive) from the environment's repositories. Sources are
/// named as <see cref="RecoveryTarget.SourceName"/> says ("pitr:latest", "pitr:&lt;time&gt;",
/// "pitr:lsn:&lt;X/Y&gt;"). The node's data directory records what it was restored to, so a resumed run
/// does not restore twice, and where recovery ended, so the data loss is counted from there.
/// </summary>
public sealed class PointInTimeDataRestore(string workDirectory, ILoggerFactory loggers) : IDataRestore
{
    public string Kind => "point in time";

    public string Accepts => RecoveryTarget.SourceForms;

    public bool Owns(string source) => RecoveryTarget.IsSource(source);

    LocalPointInTime PointInTime() => new(workDirectory, loggers);

    /// <summary>The end of the archive of the repository that reaches furthest: its last archived commit.</summary>
    public async Task<(string Name, RecoveryPoint Point)?> NewestAsync(EnvironmentDescription environment, CancellationToken ct)
    {
        var windows = await PointInTime().WindowsAsync(ct);
        var newest = windows.Where(w => !w.IsEmpty && w.Problem is null).OrderByDescending(w => w.LatestLsn).FirstOrDefault();
        if (newest is null)
            return windows.Count == 0 ? null
                : throw new RecoveryException(string.Join("; ", windows.Select(w => w.Describe())));
        return (new RecoveryTarget.Latest().SourceName(), End(newest));
    }

    public async Task<(string Name, RecoveryPoint Point)> ResolveAsync(EnvironmentDescription environment, string backup, CancellationToken ct)
    {
        var target = RecoveryTarget.FromSource(backup);
        // Once restored, the node says exactly where its recovery ended.
        if (Restored(environment, target) is { } restored) return (target.SourceName(), restored);
        var plan = await PointInTime().PlanAsync(target, repository: null, ct);
        return (target.SourceName(), target switch
        {
            RecoveryTarget.Latest => End(plan.Window),
            // Every commit up to the moment is kept; which one was the last is known once replayed.
            RecoveryTarget.Time t => new RecoveryPoint($"point in time {RecoverableWindow.Moment(t.Moment)} (repo{plan.Repository})", null, t.Moment),
            RecoveryTarget.Lsn l => new RecoveryPoint($"point in time {target.Describe()} (repo{plan.Repository})", l.Position, null, (int)plan.Interval.LastSegment.Timeline),
            _ => throw new RecoveryException($"unknown recovery target {target.Describe()}"),
        });
    }

    public async Task<RestoreOutcome> RestoreAsync(EnvironmentDescription environment, DatabaseNode node, string backup, CancellationToken ct)
    {
        var target = RecoveryTarget.FromSource(backup);
        var result = await PointInTime().RestoreNodeAsync(node.Name, target, repository: null, ct);
        var r = result.Restore;
        return new RestoreOutcome(target.SourceName(),
            $"{node.Name} restored to {target.Describe()} from repo{r.Plan.Repository} (backup {r.Plan.Backup.Label}): last commit applied {(r.LastCommit is { } c ? RecoverableWindow.Moment(c) : "none")}, " +
            $"timeline {r.Timeline}; {result.TotalDuration.TotalSeconds:0.0} s (restore {r.RestoreDuration.TotalSeconds:0.0} s, recovery {r.RecoveryDuration.TotalSeconds:0.0} s, switch {result.SwitchDuration.TotalSeconds:0.0} s)");
    }

    public Task<StepCheck> IsRestoredAsync(EnvironmentDescription environment, DatabaseNode node, string backup, CancellationToken ct)
    {
        var target = RecoveryTarget.FromSource(backup);
        var restored = DataDirectory(node.Name) is { } data ? LocalPointInTime.RestoredTo(data) : null;
        return Task.FromResult(restored == target.Describe()
            ? StepCheck.Yes($"{node.Name} holds a restore to {restored}")
            : StepCheck.No(restored is null ? $"{node.Name} holds no point-in-time restore" : $"{node.Name} was restored to {restored}, not {target.Describe()}"));
    }

    static RecoveryPoint End(RecoverableWindow window)
    {
        var end = window.Intervals[^1];
        return new RecoveryPoint($"the end of repo{window.Repository}'s archive", end.LatestLsn, end.LastCommit, (int)end.LastSegment.Timeline);
    }

    string? DataDirectory(string node) =>
        LocalEnvironmentState.Load(Path.GetFullPath(workDirectory)).Nodes.FirstOrDefault(n => n.Name == node)?.DataDirectory;

    /// <summary>Where the restore of <paramref name="target"/> into the serving node ended, from its marker: null before it.</summary>
    RecoveryPoint? Restored(EnvironmentDescription environment, RecoveryTarget target)
    {
        foreach (var node in environment.Databases)
        {
            if (DataDirectory(node.Name) is not { } data || LocalPointInTime.RestoredTo(data) != target.Describe()) continue;
            // Recovery ended on the old timeline where the new one branched (its history file): the
            // commits after that point on the old timeline are what the restore left behind.
            var switched = Promotion.WalCommits.SwitchPoint(data);
            DateTimeOffset? last = null;
            try
            {
                using var marker = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, LocalPointInTime.MarkerFile)));
                if (marker.RootElement.TryGetProperty("lastCommit", out var c) && c.ValueKind == JsonValueKind.String) last = c.GetDateTimeOffset();
            }
            catch (Exception e) when (e is JsonException or IOException or FormatException) { }
            return new RecoveryPoint($"{node.Name}'s end of recovery to {target.Describe()}", switched?.SwitchPoint, last, switched?.OldTimeline);
        }
        return null;
    }
}
