using System.Collections.Concurrent;

namespace AutoVideo.DR.Recovery.Drills.Workload;

/// <summary>A row the workload wrote, with the content text the database should hold for it.</summary>
public sealed record WrittenRow(string Table, long Id, string Content);

/// <summary>A transaction the database acknowledged (COMMIT returned), with when and on which server.</summary>
public sealed record AcknowledgedCommit(long Sequence, DateTimeOffset AcknowledgedAt, int ServerPort, IReadOnlyList<WrittenRow> Rows);

/// <summary>
/// Every commit the workload's clients saw acknowledged, and those whose outcome is unknown
/// (COMMIT sent, connection lost before the answer): the ground truth for RPO accounting.
/// </summary>
public sealed class CommitLedger
{
    readonly ConcurrentQueue<AcknowledgedCommit> acknowledged = new();
    readonly ConcurrentQueue<IReadOnlyList<WrittenRow>> inDoubt = new();
    long failedAttempts;

    public void Acknowledge(AcknowledgedCommit commit) => acknowledged.Enqueue(commit);
    public void InDoubt(IReadOnlyList<WrittenRow> rows) => inDoubt.Enqueue(rows);
    public void Failed() => Interlocked.Increment(ref failedAttempts);

    public IReadOnlyList<AcknowledgedCommit> Acknowledged => acknowledged.ToArray();
    public IReadOnlyList<IReadOnlyList<WrittenRow>> InDoubtCommits => inDoubt.ToArray();
    public long FailedAttempts => Interlocked.Read(ref failedAttempts);
    public int Count => acknowledged.Count;

    /// <summary>Several workloads' ledgers as one, for accounting over all of them.</summary>
    public static CommitLedger Combine(params CommitLedger[] ledgers)
    {
        var combined = new CommitLedger();
        foreach (var ledger in ledgers)
        {
            foreach (var commit in ledger.acknowledged) combined.acknowledged.Enqueue(commit);
            foreach (var rows in ledger.inDoubt) combined.inDoubt.Enqueue(rows);
            combined.failedAttempts += ledger.FailedAttempts;
        }
        return combined;
    }

    /// <summary>The first commit acknowledged by the server on <paramref name="port"/> at or after <paramref name="after"/>.</summary>
    public AcknowledgedCommit? FirstOn(int port, DateTimeOffset after) =>
        acknowledged.Where(c => c.ServerPort == port && c.AcknowledgedAt >= after).MinBy(c => c.AcknowledgedAt);
}
