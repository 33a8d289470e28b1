using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.UnitTests.Objectives;

/// <summary>The embedded tiers are policy/backup-tiers.json, the file the stacks read too.</summary>
public sealed class BackupTiersTests
{
    static string PolicyFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "policy", "backup-tiers.json"))) return Path.Combine(dir.FullName, "policy", "backup-tiers.json");
        throw new FileNotFoundException("policy/backup-tiers.json above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_embedded_policy_is_the_repositorys_file()
    {
        var (tagKey, rules) = BackupTiers.Parse(File.ReadAllText(PolicyFile()));

        Assert.Equal(tagKey, BackupTiers.TagKey);
        Assert.Equal(rules, BackupTiers.Rules);
        Assert.Equal("autovideo-dr-tier", BackupTiers.TagKey);
        Assert.Equal(["hourly", "daily", "weekly"], BackupTiers.Rules.Select(r => r.Tier.Name()));
    }

    [Fact]
    public void Each_tier_locks_at_least_as_long_as_it_keeps()
    {
        // keep N periods of the tier: the lock must cover them, or Object Lock would let go of a kept backup.
        Assert.True(BackupTier.Hourly.Rule().Lock >= TimeSpan.FromHours(BackupTier.Hourly.Rule().Keep));
        Assert.True(BackupTier.Daily.Rule().Lock >= TimeSpan.FromDays(BackupTier.Daily.Rule().Keep));
        Assert.True(BackupTier.Weekly.Rule().Lock >= TimeSpan.FromDays(7 * BackupTier.Weekly.Rule().Keep));
    }

    [Fact]
    public void Tag_values_parse_back_to_their_tier_and_nothing_else_does()
    {
        foreach (var tier in Enum.GetValues<BackupTier>()) Assert.Equal(tier, BackupTiers.TryParse(tier.Name()));
        Assert.Null(BackupTiers.TryParse("monthly"));
        Assert.Null(BackupTiers.TryParse("Hourly"));
        Assert.Null(BackupTiers.TryParse(null));
    }

    [Theory]
    [InlineData("""{"tagKey": "t", "tiers": [{"name": "hourly", "keep": 1, "lockDays": 1}, {"name": "daily", "keep": 1, "lockDays": 1}]}""", "hourly, daily and weekly exactly once")]
    [InlineData("""{"tagKey": "t", "tiers": [{"name": "hourly", "keep": 1, "lockDays": 1}, {"name": "daily", "keep": 1, "lockDays": 1}, {"name": "monthly", "keep": 1, "lockDays": 1}]}""", "unknown tier 'monthly'")]
    [InlineData("""{"tagKey": "", "tiers": []}""", "tagKey is empty")]
    [InlineData("""{"tagKey": "t", "tiers": [{"name": "hourly", "keep": -1, "lockDays": 1}, {"name": "daily", "keep": 1, "lockDays": 1}, {"name": "weekly", "keep": 1, "lockDays": 1}]}""", "negative")]
    public void A_broken_policy_is_refused_naming_what_is_wrong(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => BackupTiers.Parse(json));
        Assert.Contains(message, e.Message);
    }
}
