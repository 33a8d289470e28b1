using System.Text.Json;
using System.Text.Json.Serialization;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>How long taking a backup took, and how much it moved.</summary>
public sealed record BackupTiming(DateTimeOffset CompletedAt, double Seconds, long StoredBytes, long DiskBytes, IReadOnlyList<PhaseTiming> Phases);

/// <summary>How long one restore of a backup took (verification included), and how much it moved.</summary>
public sealed record RestoreTiming(DateTimeOffset CompletedAt, double Seconds, long StoredBytes, bool Passed, string Target, IReadOnlyList<PhaseTiming> Phases)
{
    /// <summary>Stored bytes restored per second, verification included.</summary>
    [JsonIgnore]
    public double BytesPerSecond => StoredBytes / Math.Max(0.001, Seconds);
}

/// <summary>
/// The measured throughput of a backup and of every restore of it (the newest 20), kept as
/// <c>throughput.json</c> in the backup's folder beside the manifest. The restore forecast reads it;
/// it is written after the fact and best-effort (a read-only store must not fail a restore that
/// committed), so a backup without it is still complete.
/// </summary>
public sealed record ThroughputRecord(BackupTiming? Backup, IReadOnlyList<RestoreTiming> Restores)
{
    public const string FileName = "throughput.json";
    const int KeptRestores = 20;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = RecoveryJson.Resolver,
    };

    /// <summary>The record of a backup, or null when it has none (or an unreadable one).</summary>
    public static async Task<ThroughputRecord?> ReadAsync(IBackupStore store, string backup, CancellationToken ct)
    {
        var key = $"{BackupName.Validate(backup)}/{FileName}";
        return await store.ExistsAsync(key, ct) ? await ReadListedAsync(store, backup, ct) : null;
    }

    /// <summary>The record of a backup a listing showed to have one.</summary>
    static async Task<ThroughputRecord?> ReadListedAsync(IBackupStore store, string backup, CancellationToken ct)
    {
        try { return JsonSerializer.Deserialize<ThroughputRecord>(await store.ReadAllBytesAsync($"{backup}/{FileName}", ct), Json); }
        catch (JsonException) { return null; }
    }

    /// <summary>The backups that have a record, newest first, from one listing of the store.</summary>
    public static async Task<IReadOnlyList<string>> RecordedAsync(IBackupStore store, CancellationToken ct) =>
        Recorded(await store.ListAsync(BackupName.Prefix, ct));

    /// <summary>The backups that have a record among <paramref name="listed"/> (a listing of the store), newest first.</summary>
    public static IReadOnlyList<string> Recorded(IEnumerable<StoredObject> listed) =>
        listed
            .Where(o => o.Key.EndsWith("/" + FileName, StringComparison.Ordinal))
            .Select(o => o.Key[..^(FileName.Length + 1)])
            .Where(BackupName.IsValid)
            .OrderByDescending(n => n, StringComparer.Ordinal)
            .ToList();

    /// <summary>The newest committed restore measured in a store, and the backup it restored (null when none was).</summary>
    public static async Task<(string Name, RestoreTiming Timing)?> LastRestoreAsync(IBackupStore store, CancellationToken ct) =>
        await LastRestoreAsync(store, await RecordedAsync(store, ct), ct);

    /// <summary>The same, among the backups <paramref name="recorded"/> (newest first) names: from a listing already made.</summary>
    public static async Task<(string Name, RestoreTiming Timing)?> LastRestoreAsync(IBackupStore store, IReadOnlyList<string> recorded, CancellationToken ct)
    {
        // Newest backup first, stopping at the first one a restore was measured on: restore tests take
        // the newest backup of their day, so that is the latest measurement without reading every record.
        // Backups every 15 minutes put dozens of records before it (all of them when no restore was
        // measured yet), one store round trip each: read them a batch at a time.
        foreach (var batch in recorded.Chunk(BackupCatalog.ConcurrentReads))
        {
            var records = await Task.WhenAll(batch.Select(name => ReadListedAsync(store, name, ct)));
            foreach (var (name, record) in batch.Zip(records))
                if (record?.Restores.FirstOrDefault(r => r.Passed) is { } timing)
                    return (name, timing);
        }
        return null;
    }

    public static Task WriteBackupAsync(IBackupStore store, string backup, BackupTiming timing, CancellationToken ct) =>
        UpdateAsync(store, backup, r => r with { Backup = timing }, ct);

    public static Task WriteRestoreAsync(IBackupStore store, string backup, RestoreTiming timing, CancellationToken ct) =>
        UpdateAsync(store, backup, r => r with { Restores = [timing, .. r.Restores.Take(KeptRestores - 1)] }, ct);

    static async Task UpdateAsync(IBackupStore store, string backup, Func<ThroughputRecord, ThroughputRecord> change, CancellationToken ct)
    {
        var current = await ReadAsync(store, backup, ct) ?? new ThroughputRecord(null, []);
        await store.WriteAllBytesAsync($"{backup}/{FileName}", JsonSerializer.SerializeToUtf8Bytes(change(current), Json), ct);
    }
}
