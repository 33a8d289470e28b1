using System.IO.Pipelines;
using Google;
using Google.Cloud.Storage.V1;
using AutoVideo.DR.Recovery.Objectives;
using StorageObject = Google.Apis.Storage.v1.Data.Object;

namespace AutoVideo.DR.Recovery.Stores;

/// <summary>
/// How to reach Google Cloud Storage: Google itself (application default credentials), or an
/// emulator endpoint. <see cref="Timeout"/> bounds each request (default <see cref="BackupStore.DefaultTimeout"/>).
/// </summary>
public sealed record GcsStoreOptions(string? Endpoint = null, TimeSpan? Timeout = null);

/// <summary>
/// A store in a Google Cloud Storage bucket under a prefix (<c>gs://bucket/prefix</c>): the plan's
/// off-site copy. Uploads stream through a pipe into a resumable upload, so nothing is spooled.
/// With a custom endpoint (an emulator) requests are unauthenticated.
/// <para>
/// Tiers are object metadata (policy/backup-tiers.json's tagKey), written with every object and
/// changed by <see cref="MarkAsync"/>. No per-object retention is set: the off-site bucket holds
/// everything for its bucket-wide retention policy (infra/offsite.ts), which <see cref="HoldAsync"/>
/// reports (the object's retentionExpirationTime) so prune does not try to delete what GCS would refuse.
/// </para>
/// </summary>
public sealed class GcsStore : IBackupStore, IDisposable
{
    readonly StorageClient client;
    readonly string bucket;
    readonly string prefix;
    readonly TimeSpan timeout;

    public GcsStore(string bucket, string prefix, GcsStoreOptions options)
    {
        this.bucket = bucket;
        this.prefix = StoreKey.Prefix(prefix);
        Location = $"gs://{bucket}/{this.prefix}".TrimEnd('/');
        timeout = options.Timeout ?? BackupStore.DefaultTimeout;
        try
        {
            client = options.Endpoint is { Length: > 0 } endpoint
                ? new StorageClientBuilder { BaseUri = endpoint.TrimEnd('/') + "/storage/v1/", UnauthenticatedAccess = true }.Build()
                : StorageClient.Create();
        }
        catch (InvalidOperationException e)
        {
            throw new RecoveryException($"no Google Cloud credentials for {Location}: {e.Message.Split('\n')[0]} (set GOOGLE_APPLICATION_CREDENTIALS, or --gcs-endpoint for an emulator)");
        }
        // Bounds connecting and each request (a resumable upload sends one request per chunk).
        client.Service.HttpClient.Timeout = timeout;
    }

    public string Location { get; }

    public bool MarksTiers => true;

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct) =>
        (await UploadAsync(key, write, exclusive: false, ct))!.Value;

    /// <summary>Create-if-absent with the precondition ifGenerationMatch=0: GCS refuses (412) when any live object has the name.</summary>
    public Task<long?> CreateAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct) =>
        UploadAsync(key, write, exclusive: true, ct);

    async Task<long?> UploadAsync(string key, Func<Stream, CancellationToken, Task> write, bool exclusive, CancellationToken ct)
    {
        var name = prefix + StoreKey.Validate(key);
        var pipe = new Pipe();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var destination = new StorageObject
        {
            Bucket = bucket, Name = name, ContentType = "application/octet-stream",
            Metadata = new Dictionary<string, string> { [BackupTiers.TagKey] = BackupTiers.Initial.Name() },
        };
        var options = new UploadObjectOptions { IfGenerationMatch = exclusive ? 0 : null };
        var upload = Call(key, () => client.UploadObjectAsync(destination, pipe.Reader.AsStream(), options, cancel.Token), ct);
        try
        {
            await using var sink = pipe.Writer.AsStream(leaveOpen: true);
            await write(sink, cancel.Token);
        }
        catch (Exception e)
        {
            // Cancel the upload so no partial object is committed, then surface the writer's failure.
            await pipe.Writer.CompleteAsync(e);
            cancel.Cancel();
            try { await upload; } catch (Exception) { }
            throw;
        }
        await pipe.Writer.CompleteAsync();
        try
        {
            return (long)((await upload).Size ?? 0);
        }
        catch (RecoveryException e) when (exclusive && e.InnerException is GoogleApiException { HttpStatusCode: System.Net.HttpStatusCode.PreconditionFailed })
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var name = prefix + StoreKey.Validate(key);
        await Call(key, () => client.GetObjectAsync(bucket, name, cancellationToken: ct), ct);
        var pipe = new Pipe();
        // Not started with ct: a task that never runs would never complete the pipe and the reader
        // would wait forever; the download itself observes ct and ends the pipe with the error.
        _ = Task.Run(async () =>
        {
            try
            {
                await client.DownloadObjectAsync(bucket, name, pipe.Writer.AsStream(leaveOpen: true), cancellationToken: ct);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(new RecoveryException($"reading {key} from {Location} failed: {e.Message.Split('\n')[0]}", e));
            }
        }, CancellationToken.None);
        return pipe.Reader.AsStream();
    }

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string keyPrefix, CancellationToken ct)
    {
        return await Call(keyPrefix, async () =>
        {
            var objects = new List<StoredObject>();
            await foreach (var o in client.ListObjectsAsync(bucket, prefix + keyPrefix).WithCancellation(ct))
                objects.Add(new StoredObject(o.Name[prefix.Length..], (long)(o.Size ?? 0)));
            return objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        }, ct, listing: true);
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
            await Call(key, async () => { await client.DeleteObjectAsync(bucket, prefix + StoreKey.Validate(key), cancellationToken: ct); return true; }, ct);
    }

    public async Task<ObjectHold> HoldAsync(string key, CancellationToken ct)
    {
        var o = await Call(key, () => client.GetObjectAsync(bucket, prefix + StoreKey.Validate(key), cancellationToken: ct), ct);
        var tier = o.Metadata is { } metadata && metadata.TryGetValue(BackupTiers.TagKey, out var value) ? BackupTiers.TryParse(value) : null;
        DateTimeOffset?[] dates = [o.RetentionExpirationTimeDateTimeOffset, o.Retention?.RetainUntilTimeDateTimeOffset];
        var until = dates.Where(d => d is not null).Max();
        return new ObjectHold(tier, until);
    }

    /// <summary>Sets the tier's metadata key (a PATCH changes only the keys it names). Retention stays the bucket's.</summary>
    public async Task MarkAsync(IReadOnlyList<string> keys, BackupTier tier, DateTimeOffset retainUntil, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            var patch = new StorageObject
            {
                Bucket = bucket, Name = prefix + StoreKey.Validate(key),
                Metadata = new Dictionary<string, string> { [BackupTiers.TagKey] = tier.Name() },
            };
            await Call(key, () => client.PatchObjectAsync(patch, cancellationToken: ct), ct);
        }
    }

    async Task<T> Call<T>(string key, Func<Task<T>> action, CancellationToken ct, bool listing = false)
    {
        try
        {
            return await action();
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new RecoveryException(listing
                ? $"Google Cloud Storage bucket '{bucket}' does not exist; create it or correct the location {Location}"
                : $"{key} is missing from {Location} (or the bucket '{bucket}' does not exist)");
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == System.Net.HttpStatusCode.PreconditionFailed)
        {
            throw new RecoveryException($"{key} already exists in {Location}", e);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized)
        {
            throw new RecoveryException($"Google Cloud Storage refused access to {Location}: {e.Error?.Message ?? e.Message.Split('\n')[0]}; check the service account's permissions");
        }
        catch (GoogleApiException e)
        {
            throw new RecoveryException($"Google Cloud Storage store {Location} failed on {key}: {e.Error?.Message ?? e.Message.Split('\n')[0]}");
        }
        catch (HttpRequestException e)
        {
            throw new RecoveryException($"Google Cloud Storage endpoint for {Location} is unreachable: {e.Message.Split('\n')[0]}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RecoveryException($"Google Cloud Storage endpoint for {Location} did not answer within {timeout.TotalSeconds:0} s ({key}); check the endpoint, or allow longer with --store-timeout");
        }
    }

    public void Dispose() => client.Dispose();
}
