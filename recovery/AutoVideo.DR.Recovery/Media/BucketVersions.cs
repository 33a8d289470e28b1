using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Media;

/// <summary>One version of an object, or a delete marker, as the bucket lists it.</summary>
public sealed record ObjectVersion(string Key, string VersionId, bool IsDeleteMarker, bool IsLatest, DateTimeOffset LastModified, long Size, string? ETag);

/// <summary>
/// Every version and delete marker of a versioned bucket under a prefix, per key, newest first:
/// what the bucket held at any moment can be read from it. S3 lists a key's versions and delete
/// markers newest first, interleaved; its LastModified has whole seconds, so two writes within one
/// second are ordered by the listing, and "as of T" is exact to the second.
/// </summary>
public sealed class BucketVersions
{
    public string Bucket { get; }
    public string Prefix { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<ObjectVersion>> ByKey { get; }

    BucketVersions(string bucket, string prefix, IReadOnlyDictionary<string, IReadOnlyList<ObjectVersion>> byKey) =>
        (Bucket, Prefix, ByKey) = (bucket, prefix, byKey);

    public int VersionCount => ByKey.Values.Sum(v => v.Count);

    /// <summary>The oldest write under the prefix (null when there is none).</summary>
    public DateTimeOffset? Earliest => ByKey.Count == 0 ? null : ByKey.Values.SelectMany(v => v).Min(v => v.LastModified);

    /// <summary>The version current now, null when the key is deleted (its latest is a delete marker).</summary>
    public ObjectVersion? Current(string key) =>
        ByKey.TryGetValue(key, out var versions) && versions[0] is { IsDeleteMarker: false } latest ? latest : null;

    /// <summary>The version that was current at <paramref name="time"/>; null when the key did not exist or was deleted then.</summary>
    public ObjectVersion? AsOf(string key, DateTimeOffset time) =>
        ByKey.TryGetValue(key, out var versions) && versions.FirstOrDefault(v => v.LastModified <= time) is { IsDeleteMarker: false } then ? then : null;

    public ObjectVersion? Find(string key, string versionId) =>
        ByKey.TryGetValue(key, out var versions) ? versions.FirstOrDefault(v => v.VersionId == versionId && !v.IsDeleteMarker) : null;

    /// <summary>Lists every version under <paramref name="prefix"/>, reporting how many were read.</summary>
    public static async Task<BucketVersions> ListAsync(AmazonS3Client client, string bucket, string prefix, IProgress<int>? listed, CancellationToken ct)
    {
        await MediaBuckets.EnsureVersionedAsync(client, bucket, ct);
        var all = new List<(ObjectVersion Version, int Position)>();
        var request = new ListVersionsRequest { BucketName = bucket, Prefix = prefix };
        while (true)
        {
            var page = await MediaBuckets.CallAsync(bucket, () => client.ListVersionsAsync(request, ct));
            foreach (var v in page.Versions ?? [])
                all.Add((new ObjectVersion(v.Key, v.VersionId, v.IsDeleteMarker == true, v.IsLatest == true,
                    new DateTimeOffset(DateTime.SpecifyKind(v.LastModified ?? DateTime.MinValue, DateTimeKind.Utc)), v.Size ?? 0, v.ETag), all.Count));
            listed?.Report(all.Count);
            if (page.IsTruncated != true) break;
            request.KeyMarker = page.NextKeyMarker;
            request.VersionIdMarker = page.NextVersionIdMarker;
        }
        // Newest first per key: the latest one first, then by time, then in the order listed (S3's
        // own order within one second; some S3-compatible servers list delete markers after versions).
        var byKey = all.GroupBy(a => a.Version.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ObjectVersion>)g
                .OrderByDescending(a => a.Version.IsLatest)
                .ThenByDescending(a => a.Version.LastModified)
                .ThenBy(a => a.Position)
                .Select(a => a.Version).ToList(), StringComparer.Ordinal);
        return new BucketVersions(bucket, prefix, byKey);
    }
}

/// <summary>The S3 calls every media operation shares: one client per store, and one-line failures naming the bucket.</summary>
public static class MediaBuckets
{
    public static AmazonS3Client Client(MediaStore store, string? region = null) =>
        Stores.S3Store.Client(new Stores.S3StoreOptions(store.Endpoint, store.PathStyle, region ?? store.Region));

    /// <summary>Restore as of a time needs the bucket's versions: an unknown or unversioned bucket is refused in one line.</summary>
    public static async Task EnsureVersionedAsync(AmazonS3Client client, string bucket, CancellationToken ct)
    {
        var versioning = await CallAsync(bucket, () => client.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }, ct));
        if (versioning.VersioningConfig?.Status != VersionStatus.Enabled)
            throw new RecoveryException($"bucket '{bucket}' is not versioned (versioning {versioning.VersioningConfig?.Status?.Value ?? "never enabled"}); recovery points of media objects are their versions, accepted: a bucket with versioning enabled");
    }

    public static async Task<T> CallAsync<T>(string bucket, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket" || (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is null or "NotFound"))
        {
            throw new RecoveryException($"unknown bucket '{bucket}': the endpoint has no such bucket; accepted: one of the environment's media buckets (see 'autovideo-dr local status')");
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new RecoveryException($"S3 refused access to bucket '{bucket}' ({e.ErrorCode}: {e.Message.Split('\n')[0]}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy");
        }
        catch (AmazonServiceException e)
        {
            throw new RecoveryException($"S3 failed on bucket '{bucket}': {e.ErrorCode}: {e.Message.Split('\n')[0]}");
        }
        catch (HttpRequestException e)
        {
            throw new RecoveryException($"the S3 endpoint of bucket '{bucket}' is unreachable: {e.Message.Split('\n')[0]}");
        }
        catch (AmazonClientException e) when (e.Message.StartsWith("Failed to resolve AWS credentials", StringComparison.Ordinal))
        {
            // The SDK lists every provider it tried over many lines; the operator needs what to set.
            throw new RecoveryException($"no AWS credentials found for bucket '{bucket}': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where an IAM role is available");
        }
        catch (Exception e) when (e is AmazonClientException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new RecoveryException($"the S3 endpoint of bucket '{bucket}' failed: {Innermost(e).Message.Split('\n')[0].Trim()}; check the endpoint and run the command again");
        }
    }

    static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
