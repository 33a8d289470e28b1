using System.IO.Pipelines;
using Google;
using Google.Cloud.Storage.V1;

namespace AutoVideo.DR.Recovery.Stores;

/// <summary>How to reach Google Cloud Storage: Google itself (application default credentials), or an emulator endpoint.</summary>
public sealed record GcsStoreOptions(string? Endpoint = null);

/// <summary>
/// A store in a Google Cloud Storage bucket under a prefix (<c>gs://bucket/prefix</c>): the plan's
/// off-site copy. Uploads stream through a pipe into a resumable upload, so nothing is spooled.
/// With a custom endpoint (an emulator) requests are unauthenticated.
/// </summary>
public sealed class GcsStore : IBackupStore, IDisposable
{
    readonly StorageClient client;
    readonly string bucket;
    readonly string prefix;

    public GcsStore(string bucket, string prefix, GcsStoreOptions options)
    {
        this.bucket = bucket;
        this.prefix = StoreKey.Prefix(prefix);
        Location = $"gs://{bucket}/{this.prefix}".TrimEnd('/');
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
    }

    public string Location { get; }

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var name = prefix + StoreKey.Validate(key);
        var pipe = new Pipe();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var upload = Call(key, () => client.UploadObjectAsync(bucket, name, "application/octet-stream", pipe.Reader.AsStream(), cancellationToken: cancel.Token));
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
        return (long)((await upload).Size ?? 0);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var name = prefix + StoreKey.Validate(key);
        await Call(key, () => client.GetObjectAsync(bucket, name, cancellationToken: ct));
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
        });
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
            await Call(key, async () => { await client.DeleteObjectAsync(bucket, prefix + StoreKey.Validate(key), cancellationToken: ct); return true; });
    }

    async Task<T> Call<T>(string key, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new RecoveryException($"{key} is missing from {Location} (or the bucket '{bucket}' does not exist)");
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
    }

    public void Dispose() => client.Dispose();
}
