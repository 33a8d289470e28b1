using System.Diagnostics;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Media;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>Probes an environment's media buckets: each must answer and keep versioning on (its recovery points are its versions).</summary>
public sealed class MediaProbe(TimeSpan? timeout = null)
{
    readonly TimeSpan timeout = timeout ?? TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyList<ComponentHealth>> ProbeAsync(MediaStore store, CancellationToken ct)
    {
        using var client = MediaBuckets.Client(store);
        return await Task.WhenAll(store.Buckets.Select(async bucket =>
        {
            var clock = Stopwatch.StartNew();
            var name = $"media-{bucket.Purpose.Name()}";
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                var versioning = await MediaBuckets.CallAsync(bucket.Name, () => client.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket.Name }, deadline.Token));
                var versioned = versioning.VersioningConfig?.Status == Amazon.S3.VersionStatus.Enabled;
                return new ComponentHealth(name, ComponentKind.ObjectStore, versioned ? ComponentStatus.Healthy : ComponentStatus.Degraded,
                    versioned ? $"bucket {bucket.Name} answers, versioned" : $"bucket {bucket.Name} answers but is not versioned: no recovery points", clock.Elapsed);
            }
            catch (Exception e) when (e is RecoveryException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                return new ComponentHealth(name, ComponentKind.ObjectStore, ComponentStatus.Down,
                    $"unreachable: {(e is RecoveryException ? e.Message : $"no answer within {timeout.TotalSeconds:0} s")}", clock.Elapsed);
            }
        }));
    }
}
