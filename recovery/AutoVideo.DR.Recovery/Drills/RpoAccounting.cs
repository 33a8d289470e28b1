using AutoVideo.DR.Recovery.Drills.Workload;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// Data lost in a recovery, measured against what clients were told: acknowledged commits none of
/// whose rows survived. <see cref="Window"/> is the time the lost commits span, up to the disaster:
/// the RPO actually achieved. A commit with only some rows present breaks atomicity and is reported apart.
/// </summary>
public sealed record RpoResult(
    int AcknowledgedCommits,
    int LostCommits,
    TimeSpan Window,
    DateTimeOffset? FirstLostAt,
    DateTimeOffset? LastLostAt,
    int PartialCommits,
    int InDoubtApplied,
    int InDoubtLost,
    IReadOnlySet<long> Lost);

public static class RpoAccounting
{
    public static RpoResult Account(CommitLedger ledger, RecoveredContent recovered, DateTimeOffset disasterAt)
    {
        var commits = ledger.Acknowledged;
        var lost = new List<AcknowledgedCommit>();
        var partial = 0;
        foreach (var commit in commits)
        {
            var present = commit.Rows.Count(recovered.Contains);
            if (present == 0) lost.Add(commit);
            else if (present < commit.Rows.Count) partial++;
        }
        var inDoubt = ledger.InDoubtCommits;
        var inDoubtApplied = inDoubt.Count(rows => rows.Any(recovered.Contains));
        DateTimeOffset? first = lost.Count > 0 ? lost.Min(c => c.AcknowledgedAt) : null;
        DateTimeOffset? last = lost.Count > 0 ? lost.Max(c => c.AcknowledgedAt) : null;
        // From the oldest lost commit to the disaster, or to the newest lost one where clients were
        // still told "committed" while the kill was landing.
        var window = first is { } f && last is { } l ? (l > disasterAt ? l : disasterAt) - f : TimeSpan.Zero;
        return new RpoResult(commits.Count, lost.Count, window, first, last, partial, inDoubtApplied, inDoubt.Count - inDoubtApplied,
            lost.Select(c => c.Sequence).ToHashSet());
    }
}
