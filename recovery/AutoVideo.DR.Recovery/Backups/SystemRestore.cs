using System.Diagnostics;
using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Where and how a system restore puts each data part back. Parts null: every data part the backup holds.
/// The database goes to <see cref="DatabaseTarget"/>; Redis into the primary cache node of the local
/// environment in <see cref="CacheWorkDirectory"/>; media objects into the buckets of
/// <see cref="Media"/> (or their replicas, when the primary region is lost). References name the
/// columns holding object keys, for the dangling-reference check.
/// </summary>
public sealed record SystemRestoreOptions(
    IReadOnlyList<SystemPart>? Parts = null,
    string? DatabaseTarget = null,
    bool Force = false,
    string? CacheWorkDirectory = null,
    MediaStore? Media = null,
    bool MediaIntoReplicas = false,
    IReadOnlyList<ObjectReference>? References = null,
    IProgress<TransferProgress>? Progress = null,
    IProgress<MediaProgress>? MediaProgress = null,
    int Parallelism = 0);

/// <summary>
/// One part as restored: the point it went back to, how long its restore took (its recovery
/// time) and the data it lost (the point's age when its restore finished: writes after the point
/// are not in it). Measured, never assumed.
/// </summary>
public sealed record PartRecovery(SystemPart Part, DateTimeOffset Point, TimeSpan RecoveryTime, TimeSpan DataLoss, string Detail);

public sealed record SystemRestoreResult(
    string Name, IReadOnlyList<PartRecovery> Parts, RestoreResult? Database, CacheRestoreResult? Cache,
    IReadOnlyList<ObjectRestoreResult> Media, IReadOnlyList<ReferenceCheck>? References, TimeSpan Duration)
{
    /// <summary>Referenced object keys with no object (or other bytes) behind them; null when not checked.</summary>
    public int? Dangling => References?.Sum(r => r.Dangling.Count);
}

/// <summary>
/// Restores a system recovery point: the parts asked for, each verified before anything is
/// touched (every part's SHA-256, the RDB loadable and holding what was recorded, every media
/// version present with its recorded checksum), then the database (one transaction), Redis
/// (rolled back to what it held on failure) and the media buckets (undone on failure), and last
/// the check that nothing the restored database references is missing.
/// </summary>
public sealed class SystemRestore(ILoggerFactory loggers)
{
    public async Task<SystemRestoreResult> RestoreAsync(IBackupStore store, string nameOrLatest, SystemRestoreOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var manifest = await new BackupCatalog(store).ResolveAsync(nameOrLatest, ct);
        // The data parts: the stacks' state and the monitoring data are restored by their own (Stacks/, Monitoring/).
        var parts = (options.Parts ?? manifest.SystemParts.Where(p => p.RestoredByDefault()).ToList()).Where(p => p.RestoredByDefault()).ToList();
        var missing = parts.Except(manifest.SystemParts).ToList();
        if (missing.Count > 0)
            throw new RecoveryException($"backup {manifest.Name} holds no {string.Join(" or ", missing.Select(p => p.Name()))} part; parts it holds: {string.Join(", ", manifest.SystemParts.Select(p => p.Name()))}");

        // Every target resolved and every part checked before the first change.
        if (parts.Contains(SystemPart.Database) && options.DatabaseTarget is null)
            throw new RecoveryException("restoring the database part needs a target database (--target)");
        EnsureCacheTarget(parts, options);
        var buckets = parts.Contains(SystemPart.Media) ? MediaTargets(manifest, options) : [];
        var others = manifest.Parts.Where(p => (parts.Contains(SystemPart.Cache) && p.Kind == BackupPart.CacheRdb)
            || (parts.Contains(SystemPart.Media) && p.Kind == BackupPart.ObjectInventory)).ToList();
        if (others.Count > 0)
        {
            var report = await BackupVerifier.VerifyAsync(store, manifest with { Parts = others }, null, ct);
            if (!report.Passed) throw new RecoveryException($"{report.Problem}; refusing to restore it (nothing was restored)");
        }
        var inventories = new Dictionary<string, BucketInventory>();
        foreach (var entry in manifest.Media ?? []) inventories[entry.Bucket] = await MediaInventoryBackup.ReadAsync(store, manifest, entry.Bucket, ct);
        foreach (var (entry, target, region) in buckets)
        {
            using var client = MediaBuckets.Client(options.Media!, region);
            await new ObjectRestore(client).ToInventoryAsync(target, "", inventories[entry.Bucket], new ObjectRestoreOptions(DryRun: true, Progress: options.MediaProgress), ct);
        }

        var recovered = new List<PartRecovery>();
        RestoreResult? database = null;
        CacheRestoreResult? cache = null;
        var media = new List<ObjectRestoreResult>();
        async Task Step(SystemPart part, Func<Task> restore)
        {
            try { await restore(); }
            catch (RecoveryException e)
            {
                var done = recovered.Select(r => r.Part.Name()).ToList();
                throw new RecoveryException($"{e.Message} (parts restored before it: {(done.Count > 0 ? string.Join(", ", done) : "none")}; not restored: {string.Join(", ", parts.Where(p => p >= part).Select(p => p.Name()))})", e);
            }
        }

        if (parts.Contains(SystemPart.Database))
            await Step(SystemPart.Database, async () =>
            {
                database = await new BackupRestore(loggers.CreateLogger<BackupRestore>()).RestoreAsync(store, manifest.Name, options.DatabaseTarget!, new RestoreOptions(options.Force, options.Progress, options.Parallelism), ct);
                if (!database.Passed) throw new RecoveryException(database.FailureMessage);
                recovered.Add(new PartRecovery(SystemPart.Database, manifest.Snapshot.Time, database.Duration, database.BackupAge,
                    $"{database.Tables.Count} tables verified against the manifest into {database.Target}"));
            });
        if (parts.Contains(SystemPart.Cache))
            await Step(SystemPart.Cache, async () =>
            {
                var directory = Directory.CreateTempSubdirectory("avdr-cache-restore-").FullName;
                try
                {
                    var rdb = Path.Combine(directory, RedisServer.RdbFileName);
                    await CacheBackup.ExtractAsync(store, manifest, rdb, ct);
                    cache = await LocalCache.RestoreAsync(options.CacheWorkDirectory!, rdb, manifest.Cache!.Content, ct, backup: manifest.Name);
                }
                finally { Directory.Delete(directory, recursive: true); }
                recovered.Add(new PartRecovery(SystemPart.Cache, manifest.Cache!.Time, cache.Duration, DateTimeOffset.UtcNow - manifest.Cache.Time,
                    $"{cache.Restored.Keys} keys in {cache.Node} ({cache.Endpoint}) match the manifest" +
                    (cache.Restored.VolatileKeys < cache.Expected.VolatileKeys ? $"; {cache.Expected.VolatileKeys - cache.Restored.VolatileKeys} keys with a TTL expired since the backup" : "")));
            });
        if (parts.Contains(SystemPart.Media))
            await Step(SystemPart.Media, async () =>
            {
                var started = Stopwatch.StartNew();
                foreach (var (entry, target, region) in buckets)
                {
                    using var client = MediaBuckets.Client(options.Media!, region);
                    media.Add(await new ObjectRestore(client).ToInventoryAsync(target, "", inventories[entry.Bucket], new ObjectRestoreOptions(Progress: options.MediaProgress), ct));
                }
                var point = manifest.Media!.Min(m => m.At);
                recovered.Add(new PartRecovery(SystemPart.Media, point, started.Elapsed, DateTimeOffset.UtcNow - point,
                    $"{media.Sum(m => m.Objects)} objects in {media.Count} buckets as of the backup; {media.Sum(m => m.Undone)} later writes undone (kept as noncurrent versions)"));
            });

        IReadOnlyList<ReferenceCheck>? references = null;
        if (options.References is { Count: > 0 } refs && options.DatabaseTarget is { } restored && options.Media is { } environmentMedia && inventories.Count > 0)
        {
            // Checked where the objects are now: each recorded bucket, or the replica it was restored into.
            var targets = buckets.Count > 0 ? buckets : MediaTargets(manifest, options);
            var checkedStore = environmentMedia with
            {
                Buckets = environmentMedia.Buckets.Select(b => targets.FirstOrDefault(t => t.Entry.Bucket == b.Name) is { Entry: not null } t ? b with { Name = t.Target } : b).ToList(),
            };
            references = await DanglingReferences.CheckAsync(restored, refs, checkedStore, targets.ToDictionary(t => t.Target, t => inventories[t.Entry.Bucket]), ct);
        }
        return new SystemRestoreResult(manifest.Name, recovered, database, cache, media, references, clock.Elapsed);
    }

    static void EnsureCacheTarget(IReadOnlyList<SystemPart> parts, SystemRestoreOptions options)
    {
        if (!parts.Contains(SystemPart.Cache)) return;
        var state = options.CacheWorkDirectory is { } directory ? Local.LocalEnvironmentState.TryLoad(Path.GetFullPath(directory)) : null;
        if (state?.Caches?.Any(c => c.Role == NodeRole.Primary) != true)
            throw new RecoveryException("restoring the cache part needs a Redis primary to restore into: a local environment with Redis (--workdir); nothing was restored");
    }

    /// <summary>Each recorded bucket and where it goes: itself, or its replica (with the replica's region).</summary>
    static List<(MediaEntry Entry, string Target, string? Region)> MediaTargets(BackupManifest manifest, SystemRestoreOptions options)
    {
        var store = options.Media ?? throw new RecoveryException("restoring the media part needs the environment's media buckets (a local environment created with --media-endpoint); nothing was restored");
        return manifest.Media!.Select(entry =>
        {
            var bucket = store.Bucket(entry.Bucket)
                ?? throw new RecoveryException($"unknown bucket '{entry.Bucket}': the backup's inventory names a bucket the environment does not have (its buckets: {string.Join(", ", store.Buckets.Select(b => b.Name))}); nothing was restored");
            if (!options.MediaIntoReplicas) return (entry, bucket.Name, (string?)null);
            return (entry, bucket.Replica ?? throw new RecoveryException($"bucket '{bucket.Name}' has no replica recorded; restore into it, or name its replica"), bucket.ReplicaRegion);
        }).ToList();
    }
}
