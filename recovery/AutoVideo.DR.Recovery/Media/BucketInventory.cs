using System.Text.Json;
using Amazon.S3;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Media;

/// <summary>One object as an inventory saw it: the version that was current, its size, S3's ETag and the SHA-256 of its bytes.</summary>
public sealed record InventoryObject(string Key, string VersionId, long Size, string? ETag, DateTimeOffset LastModified, string Sha256);

/// <summary>How far a long media operation has got: items done of the total, in a named phase.</summary>
public sealed record MediaProgress(string Bucket, string Phase, int Done, int Total);

/// <summary>
/// What a media bucket held at one moment: for every key, the version current then. Part of a
/// system backup, it makes "restore as of this backup" exact (by version id, checked by SHA-256)
/// and is what the dangling-reference check compares the restored database with.
/// </summary>
public sealed record BucketInventory(string Bucket, MediaPurpose? Purpose, DateTimeOffset At, IReadOnlyList<InventoryObject> Objects)
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = RecoveryJson.Resolver,
    };

    public long Bytes => Objects.Sum(o => o.Size);

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static BucketInventory Parse(byte[] bytes, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<BucketInventory>(bytes, Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"{what} is not a valid bucket inventory ({e.Message})");
        }
    }

    /// <summary>
    /// Takes the inventory of <paramref name="bucket"/> as of <paramref name="at"/>. Checksums of versions
    /// already in <paramref name="previous"/> are carried over (a version never changes); only new
    /// versions are asked for or read.
    /// </summary>
    public static async Task<BucketInventory> TakeAsync(AmazonS3Client client, string bucket, MediaPurpose? purpose, DateTimeOffset at,
        BucketInventory? previous, IProgress<MediaProgress>? progress, CancellationToken ct, int parallelism = 8)
    {
        var versions = await BucketVersions.ListAsync(client, bucket, "", new Progress<int>(n => progress?.Report(new MediaProgress(bucket, "list", n, 0))), ct);
        var current = versions.ByKey.Keys.Select(k => versions.AsOf(k, at)).OfType<ObjectVersion>().OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
        var known = previous?.Objects.ToDictionary(o => (o.Key, o.VersionId), o => o.Sha256) ?? [];
        var checksums = new string[current.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, current.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (i, token) =>
        {
            var v = current[i];
            checksums[i] = known.TryGetValue((v.Key, v.VersionId), out var sha) ? sha : await ObjectChecksum.OfAsync(client, bucket, v.Key, v.VersionId, token);
            var n = Interlocked.Increment(ref done);
            if (n % 250 == 0 || n == current.Count) progress?.Report(new MediaProgress(bucket, "checksums", n, current.Count));
        });
        return new BucketInventory(bucket, purpose, at,
            current.Select((v, i) => new InventoryObject(v.Key, v.VersionId, v.Size, v.ETag, v.LastModified, checksums[i])).ToList());
    }
}
