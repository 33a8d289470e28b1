using AutoVideo.DR.Recovery.Runbooks;

namespace AutoVideo.DR.Recovery.UnitTests.Runbooks;

public sealed class CacheChoiceTests
{
    static readonly DateTimeOffset Taken = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_usable_replica_is_promoted_and_the_failed_primary_rebuilt_after()
    {
        var choice = CacheSteps.Choose(new CacheAssessment("cache-a", "cache-b", true, true, "in sync", null, ("autovideo_backup_x", Taken)));
        Assert.Equal((CacheSteps.ReplicaSource, "cache-a"), (choice.Source, choice.Repair.Single()));
        Assert.EndsWith("chosen: promote cache-b", choice.Line);
    }

    [Fact]
    public void Without_a_usable_replica_the_newest_backup_is_restored_into_the_primary_and_the_replica_rebuilt()
    {
        var choice = CacheSteps.Choose(new CacheAssessment("cache-a", "cache-b", true, false, "cache-b is down", null, ("autovideo_backup_x", Taken)));
        Assert.Equal(("autovideo_backup_x", "cache-b"), (choice.Source, choice.Repair.Single()));
        Assert.Contains("chosen: restore autovideo_backup_x's Redis part into cache-a", choice.Line);
    }

    [Fact]
    public void With_neither_the_assessment_refuses_naming_both()
    {
        var none = new CacheAssessment("cache-a", "cache-b", true, false, "cache-b is down", null, BackupDetail: "none in /b holds a Redis part");
        Assert.Null(CacheSteps.Choose(none).Source);
        var health = new Recovery.Health.HealthReport("local", DateTimeOffset.UnixEpoch, []);
        var assessment = new TargetAssessment(health, new Recovery.Health.Assessment(null, []), "pg-a", "pg-b", null, [], true, "", null, "pg-a", none);
        var e = Assert.Throws<RecoveryException>(() => CacheSteps.RequireRecoverable(assessment));
        Assert.Contains("the cache primary cache-a is down and nothing can bring its data back (replica cache-b: unusable (cache-b is down); backups: none in /b holds a Redis part)", e.Message);
        // A serving cache primary needs nothing.
        CacheSteps.RequireRecoverable(assessment with { Cache = none with { PrimaryDown = false } });
    }
}
