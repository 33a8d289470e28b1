using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Media;

/// <summary>Where <c>local up --media-endpoint</c> puts the local environment's media buckets: an S3-compatible endpoint (moto_server, MinIO).</summary>
public sealed record MediaOptions(string Endpoint, string? Region = null, bool PathStyle = true);

/// <summary>
/// The local environment's media buckets (uploads, models, generated), versioned like the
/// stacks' own, on an S3-compatible endpoint. Named with a random tag so several environments can
/// share one endpoint.
/// </summary>
public static class LocalMedia
{
    public static async Task<MediaStore> CreateAsync(MediaOptions options, CancellationToken ct)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var store = new MediaStore(options.Endpoint, options.Region, options.PathStyle,
            Enum.GetValues<MediaPurpose>().Select(p => new MediaBucket(p, $"avdr-{tag}-{p.Name()}")).ToList());
        using var client = MediaBuckets.Client(store);
        foreach (var bucket in store.Buckets)
        {
            await MediaBuckets.CallAsync(bucket.Name, () => client.PutBucketAsync(new PutBucketRequest { BucketName = bucket.Name }, ct));
            await MediaBuckets.CallAsync(bucket.Name, () => client.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = bucket.Name, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            }, ct));
        }
        return store;
    }
}
