using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace AutoVideo.DR.Recovery.Stores;

/// <summary>
/// How to reach an S3 endpoint: AWS itself by default, or any compatible one. Credentials, when
/// not given, come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (else the SDK's default chain).
/// </summary>
public sealed record S3StoreOptions(string? Endpoint = null, bool PathStyle = false, string? Region = null, AWSCredentials? Credentials = null);

/// <summary>
/// A store in an S3 bucket under a prefix (<c>s3://bucket/prefix</c>). Credentials come from the
/// standard AWS environment variables (or the SDK's default chain where they are not set). Objects
/// stream up as a multipart upload, one buffered part at a time, so no full copy is kept anywhere.
/// </summary>
public sealed class S3Store : IBackupStore, IDisposable
{
    /// <summary>Parts of 16 MiB: big enough for throughput, small enough to keep in memory per worker.</summary>
    internal const int PartSize = 16 << 20;

    readonly AmazonS3Client client;
    readonly string bucket;
    readonly string prefix;

    public S3Store(string bucket, string prefix, S3StoreOptions options)
    {
        this.bucket = bucket;
        this.prefix = StoreKey.Prefix(prefix);
        Location = $"s3://{bucket}/{this.prefix}".TrimEnd('/');
        client = Client(options);
    }

    /// <summary>
    /// The one way an S3 client is made (backup stores and media buckets alike): the endpoint,
    /// region and addressing of <paramref name="options"/>, credentials from them or the AWS variables.
    /// </summary>
    public static AmazonS3Client Client(S3StoreOptions options)
    {
        var region = options.Region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.PathStyle,
            // Fail fast on an unreachable endpoint: the caller reports it; a cron job retries later.
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(60),
            // Only what the API requires: S3-compatible endpoints do not all accept the newer trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }
        return options.Credentials is { } credentials ? new AmazonS3Client(credentials, config)
            : Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 } ? new AmazonS3Client(new EnvironmentVariablesAWSCredentials(), config)
            : new AmazonS3Client(config);
    }

    public string Location { get; }

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var objectKey = prefix + StoreKey.Validate(key);
        await using var upload = new S3UploadStream(client, bucket, objectKey);
        try
        {
            await write(upload, ct);
            return await Call(key, () => upload.CompleteAsync(ct));
        }
        catch
        {
            await upload.AbortAsync();
            throw;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var response = await Call(key, () => client.GetObjectAsync(bucket, prefix + StoreKey.Validate(key), ct));
        return response.ResponseStream;
    }

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string keyPrefix, CancellationToken ct)
    {
        var objects = new List<StoredObject>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + keyPrefix };
        while (true)
        {
            var response = await Call(keyPrefix, () => client.ListObjectsV2Async(request, ct));
            foreach (var o in response.S3Objects ?? [])
                objects.Add(new StoredObject(o.Key[prefix.Length..], o.Size ?? 0));
            if (response.IsTruncated != true) break;
            request.ContinuationToken = response.NextContinuationToken;
        }
        return objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var batch in keys.Chunk(1000))
        {
            var request = new DeleteObjectsRequest
            {
                BucketName = bucket,
                Objects = batch.Select(k => new KeyVersion { Key = prefix + StoreKey.Validate(k) }).ToList(),
            };
            await Call(batch[0], () => client.DeleteObjectsAsync(request, ct));
        }
    }

    /// <summary>Turns the SDK's failures into one line naming the store, the object and what went wrong.</summary>
    async Task<T> Call<T>(string key, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode == "NoSuchKey")
        {
            throw new RecoveryException($"{key} is missing from {Location}");
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode == "NoSuchBucket")
        {
            throw new RecoveryException($"S3 bucket '{bucket}' does not exist at {Endpoint}; create it or correct the location {Location}");
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new RecoveryException($"S3 refused access to {Location} ({e.ErrorCode}: {FirstLine(e.Message)}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy");
        }
        catch (AmazonServiceException e)
        {
            throw new RecoveryException($"S3 store {Location} at {Endpoint} failed on {key}: {FirstLine(Innermost(e).Message)}");
        }
        catch (AmazonClientException e)
        {
            throw new RecoveryException($"S3 store {Location} at {Endpoint} is unusable: {FirstLine(Innermost(e).Message)}");
        }
        catch (HttpRequestException e)
        {
            throw new RecoveryException($"S3 endpoint {Endpoint} is unreachable: {FirstLine(Innermost(e).Message)}");
        }
    }

    string Endpoint => client.Config.ServiceURL ?? client.Config.RegionEndpoint?.SystemName ?? "AWS";

    static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    public void Dispose() => client.Dispose();

    /// <summary>
    /// A write-only stream that uploads what is written: as one PutObject when it is small, else
    /// as a multipart upload of <see cref="PartSize"/> parts. Nothing is visible until completed.
    /// </summary>
    sealed class S3UploadStream(AmazonS3Client client, string bucket, string key) : Stream
    {
        MemoryStream buffer = new();
        string? uploadId;
        readonly List<PartETag> parts = [];
        long length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => length;
        public override long Position { get => length; set => throw new NotSupportedException(); }

        public override void Write(byte[] data, int offset, int count)
        {
            buffer.Write(data, offset, count);
            length += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
        {
            buffer.Write(data.Span);
            length += data.Length;
            if (buffer.Length >= PartSize) await UploadPartAsync(ct);
        }

        public override Task WriteAsync(byte[] data, int offset, int count, CancellationToken ct) =>
            WriteAsync(data.AsMemory(offset, count), ct).AsTask();

        async Task UploadPartAsync(CancellationToken ct)
        {
            uploadId ??= (await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, ct)).UploadId;
            buffer.Position = 0;
            var number = parts.Count + 1;
            var response = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = buffer, PartSize = buffer.Length,
            }, ct);
            parts.Add(new PartETag { PartNumber = number, ETag = response.ETag });
            buffer = new MemoryStream();
        }

        public async Task<long> CompleteAsync(CancellationToken ct)
        {
            if (uploadId is null)
            {
                buffer.Position = 0;
                await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = buffer, AutoCloseStream = false }, ct);
                return length;
            }
            if (buffer.Length > 0) await UploadPartAsync(ct);
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = parts }, ct);
            uploadId = null;
            return length;
        }

        /// <summary>Drops an unfinished multipart upload so its parts do not linger (and cost) in the bucket.</summary>
        public async Task AbortAsync()
        {
            if (uploadId is null) return;
            try { await client.AbortMultipartUploadAsync(bucket, key, uploadId); }
            catch (Exception) { /* best effort: lifecycle rules clean up what remains */ }
            uploadId = null;
        }

        public override void Flush() { }
        public override int Read(byte[] data, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
