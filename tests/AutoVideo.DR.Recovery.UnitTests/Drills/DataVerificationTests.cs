using AutoVideo.DR.Recovery.Drills;
using AutoVideo.DR.Recovery.Drills.Workload;

namespace AutoVideo.DR.Recovery.UnitTests.Drills;

public sealed class DataVerificationTests
{
    [Fact]
    public void A_commit_that_survived_only_in_part_is_reported_apart_from_lost_ones()
    {
        var ledger = new CommitLedger();
        var at = DateTimeOffset.UtcNow;
        ledger.Acknowledge(new AcknowledgedCommit(1, at, 5432, [new("video_projects", 1, "a"), new("render_jobs", 11, "b")]));
        ledger.Acknowledge(new AcknowledgedCommit(2, at, 5432, [new("video_projects", 2, "c")]));
        var recovered = new RecoveredContent(new Dictionary<string, IReadOnlyDictionary<long, string>>
        {
            ["users"] = new Dictionary<long, string>(),
            ["video_projects"] = new Dictionary<long, string> { [1] = "a" },
            ["render_jobs"] = new Dictionary<long, string>(),
        });

        var result = RpoAccounting.Account(ledger, recovered, at.AddSeconds(1));

        Assert.Equal(1, result.LostCommits);
        Assert.Equal(1, result.PartialCommits);
        Assert.Contains(2L, result.Lost);
        var tables = DataVerification.Verify(ledger, recovered, result.Lost);
        Assert.False(tables.Single(t => t.Table == "render_jobs").Passed);
        Assert.True(tables.Single(t => t.Table == "video_projects").Passed);
    }

    [Fact]
    public void Content_that_differs_from_what_was_acknowledged_fails_verification()
    {
        var ledger = new CommitLedger();
        ledger.Acknowledge(new AcknowledgedCommit(1, DateTimeOffset.UtcNow, 5432, [new("users", 1, "alice|free")]));
        var recovered = new RecoveredContent(new Dictionary<string, IReadOnlyDictionary<long, string>>
        {
            ["users"] = new Dictionary<long, string> { [1] = "alice|pro" },
            ["video_projects"] = new Dictionary<long, string>(),
            ["render_jobs"] = new Dictionary<long, string>(),
        });

        var users = DataVerification.Verify(ledger, recovered, new HashSet<long>()).Single(t => t.Table == "users");

        Assert.Equal(1, users.MismatchedRows);
        Assert.NotEqual(users.ExpectedFingerprint, users.ActualFingerprint);
        Assert.False(users.Passed);
    }
}
