using System.Globalization;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Why a backup stays: it is a tier's pick for one period (an hour, a UTC day, an ISO week), or the
/// newest backup (<see cref="Tier"/> null). A pick is <see cref="Settled"/> once its period has
/// ended: no later backup can take its place any more.
/// </summary>
public sealed record Keeper(BackupTier? Tier, string Period, bool Settled)
{
    public static readonly Keeper Newest = new(null, "", false);

    public override string ToString() => Tier is { } tier ? $"{tier.Name()} {Period}" : "newest";
}

/// <summary>Whether a backup stays, and which tiers keep it (empty when it goes).</summary>
public sealed record RetentionDecision(string Name, DateTimeOffset Time, IReadOnlyList<Keeper> KeptBy)
{
    public bool Keep => KeptBy.Count > 0;

    /// <summary>
    /// The tier the backup's objects should carry (tag, Object Lock): the longest tier whose pick
    /// of it is settled, else hourly; null when it goes. An unsettled pick (today's newest backup
    /// may be replaced within the hour) is not promoted: a lock once extended cannot be shortened.
    /// </summary>
    public BackupTier? Tier => Keep
        ? KeptBy.Where(k => k.Settled && k.Tier is not null).Select(k => k.Tier!.Value).DefaultIfEmpty(BackupTiers.Initial).Max()
        : null;
}

/// <summary>
/// The plan's tiers (每小時 / 每日 / 每週): keep the newest backup of each of the last
/// <see cref="KeepHourly"/> hours, <see cref="KeepDaily"/> days and <see cref="KeepWeekly"/> ISO weeks
/// that have one (UTC). A backup kept by any tier stays; the newest backup always stays.
/// The defaults are policy/backup-tiers.json's (<see cref="Default"/>).
/// </summary>
public sealed record RetentionPolicy(int KeepHourly, int KeepDaily, int KeepWeekly)
{
    public static RetentionPolicy Default { get; } =
        new(BackupTier.Hourly.Rule().Keep, BackupTier.Daily.Rule().Keep, BackupTier.Weekly.Rule().Keep);

    public RetentionPolicy Validated()
    {
        if (KeepHourly < 0 || KeepDaily < 0 || KeepWeekly < 0)
            throw new RecoveryException($"retention counts must be 0 or more (got hourly {KeepHourly}, daily {KeepDaily}, weekly {KeepWeekly})");
        return this;
    }

    public int Keep(BackupTier tier) => tier switch
    {
        BackupTier.Hourly => KeepHourly,
        BackupTier.Daily => KeepDaily,
        BackupTier.Weekly => KeepWeekly,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    /// <summary>Decides among the given backups, which must be the intact ones: a damaged backup never counts as a period's pick.</summary>
    public IReadOnlyList<RetentionDecision> Decide(IEnumerable<(string Name, DateTimeOffset Time)> backups, DateTimeOffset now)
    {
        var newestFirst = backups.OrderByDescending(b => b.Time).ThenByDescending(b => b.Name, StringComparer.Ordinal).ToList();
        var reasons = newestFirst.ToDictionary(b => b.Name, _ => new List<Keeper>());
        if (newestFirst.Count > 0) reasons[newestFirst[0].Name].Add(Keeper.Newest);
        foreach (var tier in Enum.GetValues<BackupTier>())
        {
            (string Label, DateTimeOffset End)? last = null;
            var kept = 0;
            foreach (var (name, time) in newestFirst)
            {
                if (kept >= Keep(tier)) break;
                var period = Period(tier, time.ToUniversalTime());
                if (period == last) continue;
                reasons[name].Add(new Keeper(tier, period.Label, period.End <= now));
                last = period;
                kept++;
            }
        }
        return newestFirst.Select(b => new RetentionDecision(b.Name, b.Time, reasons[b.Name])).ToList();
    }

    /// <summary>The period of a tier a time falls in: its label and when it ends.</summary>
    static (string Label, DateTimeOffset End) Period(BackupTier tier, DateTimeOffset t)
    {
        switch (tier)
        {
            case BackupTier.Hourly:
                var hour = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero);
                return (hour.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture), hour.AddHours(1));
            case BackupTier.Daily:
                var day = new DateTimeOffset(t.UtcDateTime.Date, TimeSpan.Zero);
                return (day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), day.AddDays(1));
            case BackupTier.Weekly:
                var (year, week) = (ISOWeek.GetYear(t.UtcDateTime), ISOWeek.GetWeekOfYear(t.UtcDateTime));
                var monday = new DateTimeOffset(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday), TimeSpan.Zero);
                return ($"{year}-W{week:D2}", monday.AddDays(7));
            default:
                throw new ArgumentOutOfRangeException(nameof(tier), tier, null);
        }
    }
}
