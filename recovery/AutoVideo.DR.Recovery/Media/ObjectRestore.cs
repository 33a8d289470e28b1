using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;

namespace AutoVideo.DR.Recovery.Media;

/// <summary>What a restore does to one key: nothing, put an older version back as current, or delete it (a delete marker).</summary>
public enum ObjectChange
{
    Unchanged,
    Restore,
    Delete,
}

/// <summary>One key's change: the version current now (null when deleted), the version to put back and its expected SHA-256.</summary>
public sealed record PlannedChange(string Key, ObjectChange Change, string? CurrentVersionId, string? SourceVersionId, long Size, string? Sha256);

/// <summary>How a media restore runs: a dry run only plans; copies and deletes run this many at once.</summary>
public sealed record ObjectRestoreOptions(bool DryRun = false, int Parallelism = 8, IProgress<MediaProgress>? Progress = null);

/// <summary>
/// What a media restore did. Objects is how many keys exist after it (what was current at the
/// point); Restored and Deleted are the later writes it undid (as new versions and delete
/// markers: every version stays in the bucket, nothing is destroyed).
/// </summary>
public sealed record ObjectRestoreResult(
    string Bucket, string Prefix, DateTimeOffset Point, int Objects, int Unchanged, int Restored, int Deleted, long BytesCopied,
    TimeSpan Duration, bool DryRun, IReadOnlyList<PlannedChange> Changes)
{
    public int Undone => Restored + Deleted;
}

/// <summary>
/// Puts a versioned bucket (or a prefix of it) back to what was current at a point: a time
/// ("as of T", from the bucket's own versions) or a backup's inventory (exact versions, checked by
/// SHA-256). Later overwrites are undone by copying the older version on top, later deletes by the
/// same copy, and objects created later get a delete marker: AWS's own way of restoring a version
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html), which keeps
/// every version. Everything is planned and checked before the first change (a missing version, a
/// checksum that does not match, an object too large to copy: refused, nothing changed); a failure
/// while applying undoes what was applied. Running it again changes nothing.
/// </summary>
public sealed class ObjectRestore(AmazonS3Client client)
{
    /// <summary>
    /// CopyObject copies up to 5 GB in one request; larger objects need a multipart copy (UploadPartCopy),
    /// not done here (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    /// </summary>
    public const long CopyLimit = 5L * 1024 * 1024 * 1024;

    public async Task<ObjectRestoreResult> AsOfAsync(string bucket, string prefix, DateTimeOffset time, ObjectRestoreOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var versions = await BucketVersions.ListAsync(client, bucket, prefix, Listed(bucket, options), ct);
        var where = prefix.Length > 0 ? $"'{bucket}' under '{prefix}'" : $"'{bucket}'";
        if (versions.Earliest is not { } earliest)
            throw new RecoveryException($"bucket {where} holds no object versions; nothing to restore");
        if (time < earliest)
            throw new RecoveryException($"{time:yyyy-MM-ddTHH:mm:ssZ} is before the earliest version in {where} ({earliest:yyyy-MM-ddTHH:mm:ssZ}); accepted: a time from then on");
        var plan = new List<PlannedChange>();
        foreach (var key in versions.ByKey.Keys.Order(StringComparer.Ordinal))
        {
            var wanted = versions.AsOf(key, time);
            var current = versions.Current(key);
            plan.Add(wanted is null
                ? new PlannedChange(key, current is null ? ObjectChange.Unchanged : ObjectChange.Delete, current?.VersionId, null, 0, null)
                : new PlannedChange(key, current?.VersionId == wanted.VersionId ? ObjectChange.Unchanged : ObjectChange.Restore, current?.VersionId, wanted.VersionId, wanted.Size, null));
        }
        plan = await SettleAsync(bucket, versions, plan, ct);
        return await ApplyAsync(bucket, prefix, time, plan, options, clock, ct);
    }

    public async Task<ObjectRestoreResult> ToInventoryAsync(string bucket, string prefix, BucketInventory inventory, ObjectRestoreOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var versions = await BucketVersions.ListAsync(client, bucket, prefix, Listed(bucket, options), ct);
        var wanted = inventory.Objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(o => o.Key, StringComparer.Ordinal);
        var plan = new List<PlannedChange>();
        foreach (var key in versions.ByKey.Keys.Union(wanted.Keys).Order(StringComparer.Ordinal))
        {
            var current = versions.Current(key);
            if (!wanted.TryGetValue(key, out var o))
            {
                if (current is not null) plan.Add(new PlannedChange(key, ObjectChange.Delete, current.VersionId, null, 0, null));
                continue;
            }
            // Replication keeps version ids, so the recorded version is normally there even in the replica bucket.
            var source = versions.Find(key, o.VersionId);
            plan.Add(new PlannedChange(key, current is not null && current.VersionId == o.VersionId ? ObjectChange.Unchanged : ObjectChange.Restore,
                current?.VersionId, source?.VersionId, o.Size, o.Sha256));
        }
        plan = await SettleAsync(bucket, versions, plan, ct);
        return await ApplyAsync(bucket, prefix, inventory.At, plan, options, clock, ct);
    }

    static IProgress<int>? Listed(string bucket, ObjectRestoreOptions options) =>
        options.Progress is { } progress ? new Progress<int>(n => progress.Report(new MediaProgress(bucket, "list", n, 0))) : null;

    /// <summary>
    /// Resolves every planned copy before anything changes: the source version's SHA-256 is read and
    /// compared with what was recorded (a mismatch or a missing version refuses the whole restore),
    /// and a current version with the same bytes counts as restored already (so a re-run is a no-op).
    /// </summary>
    async Task<List<PlannedChange>> SettleAsync(string bucket, BucketVersions versions, List<PlannedChange> plan, CancellationToken ct)
    {
        var settled = new ConcurrentDictionary<int, PlannedChange>();
        var problems = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, plan.Count).Where(i => plan[i].Change == ObjectChange.Restore),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            {
                var change = plan[i];
                var source = change.SourceVersionId;
                var expected = change.Sha256;
                if (source is null)
                {
                    // Not there by id: a version of the key with the recorded bytes will do (e.g. a replica that was
                    // filled by copies rather than by S3 replication, which would have kept the id).
                    foreach (var candidate in versions.ByKey[change.Key].Where(v => !v.IsDeleteMarker && v.Size == change.Size))
                        if (await ObjectChecksum.OfAsync(client, bucket, change.Key, candidate.VersionId, token) == expected) { source = candidate.VersionId; break; }
                    if (source is null)
                    {
                        problems.Add($"missing object version: {change.Key} (SHA-256 {expected![..12]}…) has no such version in bucket '{bucket}'");
                        return;
                    }
                }
                var actual = await ObjectChecksum.OfAsync(client, bucket, change.Key, source, token);
                if (expected is not null && actual != expected)
                {
                    problems.Add($"checksum mismatch: {change.Key} version {source} has SHA-256 {actual[..12]}…, the inventory recorded {expected[..12]}…");
                    return;
                }
                if (change.Size > CopyLimit)
                {
                    problems.Add($"{change.Key} is {change.Size / (1024.0 * 1024 * 1024):0.0} GiB: S3 copies at most 5 GiB in one request and this version does no multipart copy");
                    return;
                }
                var current = change.CurrentVersionId is { } id ? versions.Find(change.Key, id) : null;
                var same = current is not null && current.Size == change.Size && await ObjectChecksum.OfAsync(client, bucket, change.Key, current.VersionId, token) == actual;
                settled[i] = change with { Change = same ? ObjectChange.Unchanged : ObjectChange.Restore, SourceVersionId = source, Sha256 = actual };
            });
        if (!problems.IsEmpty)
        {
            var sorted = problems.Order(StringComparer.Ordinal).ToList();
            throw new RecoveryException($"{sorted[0]}{(sorted.Count > 1 ? $" (and {sorted.Count - 1} more)" : "")}; nothing was restored in bucket '{bucket}'");
        }
        return plan.Select((c, i) => settled.TryGetValue(i, out var s) ? s : c).ToList();
    }

    async Task<ObjectRestoreResult> ApplyAsync(string bucket, string prefix, DateTimeOffset point, List<PlannedChange> plan, ObjectRestoreOptions options, Stopwatch clock, CancellationToken ct)
    {
        var changes = plan.Where(c => c.Change != ObjectChange.Unchanged).ToList();
        var undo = new ConcurrentBag<(string Key, string VersionId)>();
        var done = 0;
        long bytes = 0;
        if (!options.DryRun)
        {
            try
            {
                await Parallel.ForEachAsync(changes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = ct }, async (change, token) =>
                {
                    if (change.Change == ObjectChange.Restore)
                    {
                        var copy = await MediaBuckets.CallAsync(bucket, () => client.CopyObjectAsync(new CopyObjectRequest
                        {
                            SourceBucket = bucket, SourceKey = change.Key, SourceVersionId = change.SourceVersionId,
                            DestinationBucket = bucket, DestinationKey = change.Key,
                            // x-amz-checksum-algorithm: S3 computes the copy's SHA-256 over its bytes and returns it (API_CopyObject,
                            // CopyObjectResult.ChecksumSHA256): the proof that what became current is what was recorded.
                            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                        }, token));
                        undo.Add((change.Key, copy.VersionId));
                        var copied = ObjectChecksum.FromBase64(copy.ChecksumSHA256) ?? await ObjectChecksum.OfAsync(client, bucket, change.Key, copy.VersionId, token);
                        if (copied != change.Sha256)
                            throw new RecoveryException($"checksum mismatch: the copy of {change.Key} has SHA-256 {copied[..12]}…, its source {change.Sha256![..12]}…");
                        Interlocked.Add(ref bytes, change.Size);
                    }
                    else
                    {
                        var marker = await MediaBuckets.CallAsync(bucket, () => client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = change.Key }, token));
                        undo.Add((change.Key, marker.VersionId));
                    }
                    var n = Interlocked.Increment(ref done);
                    if (n % 100 == 0 || n == changes.Count) options.Progress?.Report(new MediaProgress(bucket, "restore", n, changes.Count));
                });
            }
            catch (Exception e) when (e is RecoveryException or OperationCanceledException)
            {
                // Never half a restore: remove the versions and markers this run added (they are its own), newest state back.
                foreach (var (key, versionId) in undo.Where(u => u.VersionId is not null))
                    await client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key, VersionId = versionId }, CancellationToken.None);
                if (e is OperationCanceledException) throw;
                throw new RecoveryException($"{e.Message}; the restore of bucket '{bucket}' stopped and the {undo.Count} changes it had made were undone", e);
            }
        }
        var restored = changes.Count(c => c.Change == ObjectChange.Restore);
        var deleted = changes.Count(c => c.Change == ObjectChange.Delete);
        return new ObjectRestoreResult(bucket, prefix, point, plan.Count(c => c.Change != ObjectChange.Delete && c.SourceVersionId is not null),
            plan.Count(c => c.Change == ObjectChange.Unchanged && c.SourceVersionId is not null), restored, deleted, options.DryRun ? 0 : bytes, clock.Elapsed, options.DryRun, changes);
    }
}
