using System.Text.Json;

namespace AutoVideo.DR.Recovery.Objectives;

/// <summary>
/// The plan's backup tiers (每小時 / 每日 / 每週備份), in order of how long they protect a backup.
/// Every backup starts hourly; retention promotes the ones it keeps longer.
/// </summary>
public enum BackupTier
{
    Hourly,
    Daily,
    Weekly,
}

/// <summary>One tier of policy/backup-tiers.json: how many periods keep their newest backup, and how long Object Lock holds a backup of the tier.</summary>
public sealed record TierRule(BackupTier Tier, int Keep, int LockDays)
{
    public TimeSpan Lock => TimeSpan.FromDays(LockDays);
}

/// <summary>
/// policy/backup-tiers.json, embedded at build: the one place both halves read the tiers from. The
/// stacks derive the backup bucket's lifecycle rules (one per tier, filtered by the tag
/// <see cref="TagKey"/>) and its default retention from it; here it gives the retention policy's
/// defaults and the tag and Object Lock retention the stores write.
/// </summary>
public static class BackupTiers
{
    const string Resource = "backup-tiers.json";
    static readonly Lazy<(string TagKey, IReadOnlyList<TierRule> Rules)> Policy = new(Load);

    /// <summary>The object tag (S3) or metadata key (GCS) that carries a backup's tier: "autovideo-dr-tier".</summary>
    public static string TagKey => Policy.Value.TagKey;

    /// <summary>The tiers in the file's order (hourly, daily, weekly).</summary>
    public static IReadOnlyList<TierRule> Rules => Policy.Value.Rules;

    public static TierRule Rule(this BackupTier tier) => Rules.Single(r => r.Tier == tier);

    /// <summary>The tier every object of a new backup is written with.</summary>
    public const BackupTier Initial = BackupTier.Hourly;

    /// <summary>The tier's name as the policy file, tags and lifecycle rules spell it ("hourly").</summary>
    public static string Name(this BackupTier tier) => tier.ToString().ToLowerInvariant();

    /// <summary>The tier a tag value names, or null for anything else (no tag, a foreign value).</summary>
    public static BackupTier? TryParse(string? name) =>
        Enum.GetValues<BackupTier>().Cast<BackupTier?>().FirstOrDefault(t => t!.Value.Name() == name);

    /// <summary>Reads and checks the policy text: every tier exactly once, counts and days not negative.</summary>
    public static (string TagKey, IReadOnlyList<TierRule> Rules) Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var tagKey = root.GetProperty("tagKey").GetString();
        if (string.IsNullOrWhiteSpace(tagKey)) throw new InvalidDataException($"{Resource}: tagKey is empty");
        var rules = root.GetProperty("tiers").EnumerateArray().Select(t =>
        {
            var name = t.GetProperty("name").GetString();
            var tier = TryParse(name) ?? throw new InvalidDataException($"{Resource}: unknown tier '{name}'; accepted: hourly, daily, weekly");
            var rule = new TierRule(tier, t.GetProperty("keep").GetInt32(), t.GetProperty("lockDays").GetInt32());
            if (rule.Keep < 0 || rule.LockDays < 0) throw new InvalidDataException($"{Resource}: tier {name} has a negative keep or lockDays");
            return rule;
        }).ToList();
        if (rules.Select(r => r.Tier).Order().SequenceEqual(Enum.GetValues<BackupTier>()) is false)
            throw new InvalidDataException($"{Resource}: it must list hourly, daily and weekly exactly once");
        return (tagKey, rules);
    }

    static (string, IReadOnlyList<TierRule>) Load()
    {
        using var stream = typeof(BackupTiers).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"{Resource} is not embedded in {typeof(BackupTiers).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }
}
