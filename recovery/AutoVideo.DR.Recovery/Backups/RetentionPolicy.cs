using System.Globalization;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>Whether a backup stays, and which tiers keep it (empty when it goes).</summary>
public sealed record RetentionDecision(string Name, DateTimeOffset Time, IReadOnlyList<string> KeptBy)
{
    public bool Keep => KeptBy.Count > 0;
}

/// <summary>
/// The plan's tiers (每小時 / 每日 / 每週): keep the newest backup of each of the last
/// <see cref="KeepHourly"/> hours, <see cref="KeepDaily"/> days and <see cref="KeepWeekly"/> ISO weeks
/// that have one (UTC). A backup kept by any tier stays; the newest backup always stays.
/// </summary>
public sealed record RetentionPolicy(int KeepHourly = 48, int KeepDaily = 30, int KeepWeekly = 52)
{
    public RetentionPolicy Validated()
    {
        if (KeepHourly < 0 || KeepDaily < 0 || KeepWeekly < 0)
            throw new RecoveryException($"retention counts must be 0 or more (got hourly {KeepHourly}, daily {KeepDaily}, weekly {KeepWeekly})");
        return this;
    }

    public IReadOnlyList<RetentionDecision> Decide(IEnumerable<(string Name, DateTimeOffset Time)> backups)
    {
        var newestFirst = backups.OrderByDescending(b => b.Time).ThenByDescending(b => b.Name, StringComparer.Ordinal).ToList();
        var reasons = newestFirst.ToDictionary(b => b.Name, _ => new List<string>());
        if (newestFirst.Count > 0) reasons[newestFirst[0].Name].Add("newest");
        Tier("hourly", KeepHourly, t => t.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture));
        Tier("daily", KeepDaily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Tier("weekly", KeepWeekly, t => $"{ISOWeek.GetYear(t.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(t.UtcDateTime):D2}");
        return newestFirst.Select(b => new RetentionDecision(b.Name, b.Time, reasons[b.Name])).ToList();

        void Tier(string tier, int keep, Func<DateTimeOffset, string> period)
        {
            string? last = null;
            var kept = 0;
            foreach (var (name, time) in newestFirst)
            {
                if (kept >= keep) break;
                var current = period(time.ToUniversalTime());
                if (current == last) continue;
                reasons[name].Add($"{tier} {current}");
                last = current;
                kept++;
            }
        }
    }
}
