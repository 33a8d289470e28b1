using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>The forecast against one level's RTO.</summary>
public sealed record ObjectiveCheck(DisasterLevel Level, TimeSpan Rto, bool? Met);

/// <summary>
/// How long restoring the newest backup is expected to take: its stored size over the throughput
/// the last committed restore measured (verification included), from the backups' throughput
/// records (<see cref="ThroughputRecord"/>). Expected is null, and Basis says why, when no restore has been measured: a forecast is
/// never assumed.
/// </summary>
public sealed record RestoreForecast(string Backup, long StoredBytes, TimeSpan? Expected, string Basis, IReadOnlyList<ObjectiveCheck> Objectives)
{
    public IEnumerable<ObjectiveCheck> Missed => Objectives.Where(o => o.Met == false);

    /// <summary>The forecast for the newest complete backup of a catalog's <paramref name="scan"/>, or null when there is none; the scan's listing is the only one.</summary>
    public static async Task<RestoreForecast?> ForNewestAsync(IBackupStore store, CatalogScan scan, CancellationToken ct) =>
        scan.Backups.FirstOrDefault(e => e.Manifest is not null) is { } newest
            ? From(newest.Name, newest.Manifest!.TotalSize, await ThroughputRecord.LastRestoreAsync(store, scan.Recorded, ct))
            : null;

    public static RestoreForecast From(string backup, long storedBytes, (string Name, RestoreTiming Timing)? measured)
    {
        if (measured is not { } m)
            return new RestoreForecast(backup, storedBytes, null, $"unknown: no committed restore measured in this store (run a restore test)",
                Enum.GetValues<DisasterLevel>().Reverse().Select(l => new ObjectiveCheck(l, RecoveryObjective.For(l).Rto, null)).ToList());
        var expected = TimeSpan.FromSeconds(storedBytes / m.Timing.BytesPerSecond);
        var basis = $"{storedBytes / 1048576.0:0.0} MiB at {m.Timing.BytesPerSecond / 1048576.0:0.0} MiB/s, measured by the restore of {m.Name} at {m.Timing.CompletedAt:yyyy-MM-dd HH:mm}Z ({m.Timing.Seconds:0.0} s, verification included)";
        return new RestoreForecast(backup, storedBytes, expected, basis,
            Enum.GetValues<DisasterLevel>().Reverse().Select(l => new ObjectiveCheck(l, RecoveryObjective.For(l).Rto, expected <= RecoveryObjective.For(l).Rto)).ToList());
    }
}
