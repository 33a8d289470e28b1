using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Stores;

/// <summary>Which Object Lock mode a backup's objects get: the bucket's default retention's (the default), or one named.</summary>
public enum S3LockMode
{
    Bucket,
    Governance,
    Compliance,
}

/// <summary>
/// How to reach an S3 endpoint: AWS itself by default, or any compatible one. Credentials, when
/// not given, come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (else the SDK's default chain).
/// <see cref="Timeout"/> bounds connecting and each request (default <see cref="BackupStore.DefaultTimeout"/>).
/// </summary>
public sealed record S3StoreOptions(
    string? Endpoint = null, bool PathStyle = false, string? Region = null, AWSCredentials? Credentials = null,
    TimeSpan? Timeout = null, S3LockMode LockMode = S3LockMode.Bucket);

/// <summary>
/// A store in an S3 bucket under a prefix (<c>s3://bucket/prefix</c>). Objects stream up as a
/// multipart upload, one buffered part at a time, so no full copy is kept anywhere.
/// <para>
/// Every upload request carries its SHA-256 (x-amz-checksum-sha256): S3 refuses an upload into a
/// bucket with Object Lock retention unless it carries Content-MD5 or a flexible checksum
/// ("The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to upload
/// an object with a retention period configured using Amazon S3 Object Lock",
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, and the same for UploadPart).
/// Every object is tagged with its tier (policy/backup-tiers.json's tagKey, so the bucket's
/// lifecycle rules find it) and, when the bucket has Object Lock, retained for the tier's lockDays
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
/// </para>
/// </summary>
public sealed class S3Store : IBackupStore, IDisposable
{
    /// <summary>Parts of 16 MiB: big enough for throughput, small enough to keep in memory per worker.</summary>
    internal const int PartSize = 16 << 20;

    readonly AmazonS3Client client;
    readonly string bucket;
    readonly string prefix;
    readonly TimeSpan timeout;
    readonly S3LockMode lockChoice;
    /// <summary>The Object Lock mode objects get ("GOVERNANCE"/"COMPLIANCE"), null when the bucket has no Object Lock; asked once, when first needed.</summary>
    readonly Lazy<Task<string?>> lockMode;

    public S3Store(string bucket, string prefix, S3StoreOptions options)
    {
        this.bucket = bucket;
        this.prefix = StoreKey.Prefix(prefix);
        timeout = options.Timeout ?? BackupStore.DefaultTimeout;
        lockChoice = options.LockMode;
        lockMode = new(() => LockModeAsync(CancellationToken.None));
        Location = $"s3://{bucket}/{this.prefix}".TrimEnd('/');
        client = Client(options);
    }

    /// <summary>
    /// The one way an S3 client is made (backup stores and media buckets alike): the endpoint,
    /// region, addressing and timeouts of <paramref name="options"/>, credentials from them or the AWS variables.
    /// </summary>
    public static AmazonS3Client Client(S3StoreOptions options)
    {
        var timeout = options.Timeout ?? BackupStore.DefaultTimeout;
        var region = options.Region ?? Variable("AWS_REGION") ?? Variable("AWS_DEFAULT_REGION") ?? "us-east-1";
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.PathStyle,
            // Fail fast on a hung or unreachable endpoint: the caller reports it; a cron job retries later.
            MaxErrorRetry = 2,
            Timeout = timeout,
            ConnectTimeout = timeout,
            // Only what the API requires: S3-compatible endpoints do not all accept the newer trailing
            // checksums. Uploads carry their SHA-256 as a plain header instead (see UploadStream).
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
            : Variable("AWS_ACCESS_KEY_ID") is not null ? new AmazonS3Client(new EnvironmentVariablesAWSCredentials(), config)
            : new AmazonS3Client(config);
    }

    public string Location { get; }

    public bool MarksTiers => true;

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct) =>
        (await UploadAsync(key, write, exclusive: false, ct))!.Value;

    public Task<long?> CreateAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct) =>
        UploadAsync(key, write, exclusive: true, ct);

    async Task<long?> UploadAsync(string key, Func<Stream, CancellationToken, Task> write, bool exclusive, CancellationToken ct)
    {
        var objectKey = prefix + StoreKey.Validate(key);
        var mode = await Call(key, () => lockMode.Value, ct);
        var tier = BackupTiers.Initial;
        var marks = new UploadMarks(tier, mode, mode is null ? null : DateTime.UtcNow + tier.Rule().Lock);
        await using var upload = new UploadStream(client, bucket, objectKey, marks, exclusive);
        try
        {
            await write(upload, ct);
            return await Call(key, () => upload.CompleteAsync(ct), ct);
        }
        catch
        {
            await upload.AbortAsync();
            throw;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var response = await Call(key, () => client.GetObjectAsync(bucket, prefix + StoreKey.Validate(key), ct), ct);
        return new ReadTimeoutStream(response.ResponseStream, timeout, dropped => new RecoveryException(dropped is null
            ? $"S3 endpoint {Endpoint} stopped sending {key} of {Location} for {timeout.TotalSeconds:0} s; check the endpoint, or allow longer with --store-timeout"
            : $"S3 endpoint {Endpoint} dropped the connection while sending {key} of {Location} ({FirstLine(dropped.Message)}); run the command again"));
    }

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string keyPrefix, CancellationToken ct)
    {
        var objects = new List<StoredObject>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + keyPrefix };
        while (true)
        {
            var response = await Call($"{keyPrefix}*", () => client.ListObjectsV2Async(request, ct), ct);
            foreach (var o in response.S3Objects ?? [])
                objects.Add(new StoredObject(o.Key[prefix.Length..], o.Size ?? 0));
            if (response.IsTruncated != true) break;
            request.ContinuationToken = response.NextContinuationToken;
        }
        return objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Deletes every version of the keys (delete markers included), not only the current one: a plain
    /// DELETE in a versioned bucket only adds a delete marker and keeps the data as a noncurrent
    /// version (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html),
    /// which would cost until the lifecycle's noncurrent rule removed it and leave a marker per key
    /// behind. Deleting a version by its id is what Object Lock guards: S3 refuses it while the
    /// version is retained, so a lock can never be bypassed from here (no bypass header is ever sent).
    /// </summary>
    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        var wanted = keys.Select(k => prefix + StoreKey.Validate(k)).ToHashSet(StringComparer.Ordinal);
        var versions = new List<KeyVersion>();
        var request = new ListVersionsRequest { BucketName = bucket, Prefix = CommonPrefix(wanted) };
        while (true)
        {
            var response = await Call(keys.First(), () => client.ListVersionsAsync(request, ct), ct);
            versions.AddRange((response.Versions ?? []).Where(v => wanted.Contains(v.Key))
                // "null" is the version of an object written while versioning was off: deleted without an id.
                .Select(v => new KeyVersion { Key = v.Key, VersionId = v.VersionId is null or "null" ? null : v.VersionId }));
            if (response.IsTruncated != true) break;
            (request.KeyMarker, request.VersionIdMarker) = (response.NextKeyMarker, response.NextVersionIdMarker);
        }
        foreach (var batch in versions.Chunk(1000))
        {
            var delete = new DeleteObjectsRequest { BucketName = bucket, Objects = batch.ToList(), Quiet = true };
            var errors = await Call(batch[0].Key[prefix.Length..], async () =>
            {
                try { return (await client.DeleteObjectsAsync(delete, ct)).DeleteErrors ?? []; }
                catch (DeleteObjectsException e) { return e.Response.DeleteErrors ?? []; }
            }, ct);
            if (errors.Count > 0)
                throw new RecoveryException($"S3 refused to delete {errors.Count} object version(s) in {Location}, first {errors[0].Key[prefix.Length..]} ({errors[0].Code}: {errors[0].Message}); a version Object Lock retains stays until its retain-until date");
        }
    }

    public async Task<ObjectHold> HoldAsync(string key, CancellationToken ct)
    {
        var objectKey = prefix + StoreKey.Validate(key);
        var tags = await Call(key, () => client.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = objectKey }, ct), ct);
        var tier = BackupTiers.TryParse(tags.Tagging?.FirstOrDefault(t => t.Key == BackupTiers.TagKey)?.Value);
        if (await Call(key, () => lockMode.Value, ct) is null) return new ObjectHold(tier, null);
        // HEAD shows the retention (x-amz-object-lock-retain-until-date) in the same answer as the rest.
        var head = await Call(key, () => client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = objectKey }, ct), ct);
        DateTimeOffset? until = head.ObjectLockRetainUntilDate is { } date ? new DateTimeOffset(DateTime.SpecifyKind(date.ToUniversalTime(), DateTimeKind.Utc)) : null;
        return new ObjectHold(tier, until);
    }

    public async Task MarkAsync(IReadOnlyList<string> keys, BackupTier tier, DateTimeOffset retainUntil, CancellationToken ct)
    {
        var mode = await Call(keys.FirstOrDefault() ?? "", () => lockMode.Value, ct);
        foreach (var key in keys)
        {
            var objectKey = prefix + StoreKey.Validate(key);
            if (mode is not null && retainUntil > DateTimeOffset.UtcNow)
            {
                var head = await Call(key, () => client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = objectKey }, ct), ct);
                // Extension only: compliance mode refuses a shorter date, and keeps its mode.
                if (head.ObjectLockRetainUntilDate is not { } current || current.ToUniversalTime() < retainUntil.UtcDateTime)
                    await Call(key, () => client.PutObjectRetentionAsync(new PutObjectRetentionRequest
                    {
                        BucketName = bucket, Key = objectKey,
                        Retention = new ObjectLockRetention
                        {
                            Mode = ObjectLockRetentionMode.FindValue(head.ObjectLockMode?.Value ?? mode),
                            RetainUntilDate = retainUntil.UtcDateTime,
                        },
                    }, ct), ct);
            }
            await Call(key, () => client.PutObjectTaggingAsync(new PutObjectTaggingRequest
            {
                BucketName = bucket, Key = objectKey, Tagging = new Tagging { TagSet = [TierTag(tier)] },
            }, ct), ct);
        }
    }

    /// <summary>
    /// The mode objects are locked with: the one configured, else the bucket's default retention's
    /// (GOVERNANCE when Object Lock is on without a default). Null when the bucket has no Object Lock:
    /// objects are then written without retention.
    /// </summary>
    async Task<string?> LockModeAsync(CancellationToken ct)
    {
        var named = lockChoice switch { S3LockMode.Governance => "GOVERNANCE", S3LockMode.Compliance => "COMPLIANCE", _ => null };
        try
        {
            var config = (await client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = bucket }, ct)).ObjectLockConfiguration;
            if (config?.ObjectLockEnabled != ObjectLockEnabled.Enabled)
                return named is null ? null : throw NoLock(named);
            return named ?? config.Rule?.DefaultRetention?.Mode?.Value ?? "GOVERNANCE";
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "ObjectLockConfigurationNotFoundError")
        {
            return named is null ? null : throw NoLock(named);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden && named is not null)
        {
            return named; // not allowed to look; the operator named the mode
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden)
        {
            throw new RecoveryException($"S3 refused to show the Object Lock configuration of bucket '{bucket}' ({e.ErrorCode}); allow s3:GetBucketObjectLockConfiguration, or name the mode with --s3-lock-mode governance|compliance");
        }
    }

    RecoveryException NoLock(string mode) =>
        new($"--s3-lock-mode {mode.ToLowerInvariant()} was asked for, but bucket '{bucket}' has no Object Lock; use --s3-lock-mode bucket for a bucket without it");

    static Tag TierTag(BackupTier tier) => new() { Key = BackupTiers.TagKey, Value = tier.Name() };

    static string CommonPrefix(IReadOnlyCollection<string> keys)
    {
        var first = keys.First();
        var length = keys.Aggregate(first.Length, (n, k) => Math.Min(n, Enumerable.Range(0, Math.Min(n, k.Length)).TakeWhile(i => k[i] == first[i]).Count()));
        return first[..length];
    }

    /// <summary>Turns the SDK's failures into one line naming the store, the endpoint, the object and what to do.</summary>
    async Task<T> Call<T>(string key, Func<Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await action();
        }
        catch (RecoveryException)
        {
            throw;
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
        catch (AmazonClientException e) when (e.Message.StartsWith("Failed to resolve AWS credentials", StringComparison.Ordinal))
        {
            // The SDK's message lists every provider it tried over many lines ("…returned the following
            // errors:"); its first line says nothing useful, the operator needs what to set.
            throw new RecoveryException($"no AWS credentials found for {Location}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where an IAM role is available (EKS pod identity / IRSA, instance profile)");
        }
        catch (Exception e) when (!ct.IsCancellationRequested && (e is TimeoutException || e is OperationCanceledException || Innermost(e) is TimeoutException))
        {
            throw new RecoveryException($"S3 endpoint {Endpoint} did not answer within {timeout.TotalSeconds:0} s ({client.Config.MaxErrorRetry + 1} tries, on {key} in {Location}); check the endpoint, or allow longer with --store-timeout");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // A reset can surface as an IOException or, straight from the socket, as a SocketException.
            throw new RecoveryException($"S3 endpoint {Endpoint} dropped the connection ({FirstLine(Innermost(e).Message)}) on {key} in {Location}; check that it is an S3 endpoint, then run the command again");
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

    string Endpoint => client.Config.ServiceURL?.TrimEnd('/') ?? $"AWS S3 in {client.Config.RegionEndpoint?.SystemName}";

    static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    public void Dispose() => client.Dispose();

    /// <summary>The tier tag and Object Lock retention every object of an upload is created with.</summary>
    sealed record UploadMarks(BackupTier Tier, string? LockMode, DateTime? RetainUntil);

    /// <summary>
    /// A write-only stream that uploads what is written: as one PutObject when it is small, else
    /// as a multipart upload of <see cref="PartSize"/> parts. Nothing is visible until completed.
    /// Each request carries the SHA-256 of its body, hashed as the bytes arrive. An exclusive upload
    /// completes with If-None-Match: * (PutObject or CompleteMultipartUpload), so S3 itself refuses
    /// it when the key exists: 412 Precondition Failed, or 409 ConditionalRequestConflict when another
    /// writer is creating it at the same moment
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
    /// </summary>
    sealed class UploadStream(AmazonS3Client client, string bucket, string key, UploadMarks marks, bool exclusive) : Stream
    {
        MemoryStream buffer = new();
        readonly IncrementalHash sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string? uploadId;
        readonly List<PartETag> parts = [];
        long length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => length;
        public override long Position { get => length; set => throw new NotSupportedException(); }

        public override void Write(byte[] data, int offset, int count) => Append(data.AsSpan(offset, count));

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
        {
            Append(data.Span);
            if (buffer.Length >= PartSize) await UploadPartAsync(ct);
        }

        public override Task WriteAsync(byte[] data, int offset, int count, CancellationToken ct) =>
            WriteAsync(data.AsMemory(offset, count), ct).AsTask();

        void Append(ReadOnlySpan<byte> data)
        {
            buffer.Write(data);
            sha256.AppendData(data);
            length += data.Length;
        }

        /// <summary>The buffered bytes' SHA-256, base64 as x-amz-checksum-sha256 wants it; resets for the next part.</summary>
        string TakeChecksum()
        {
            buffer.Position = 0;
            return Convert.ToBase64String(sha256.GetHashAndReset());
        }

        async Task UploadPartAsync(CancellationToken ct)
        {
            uploadId ??= (await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = bucket, Key = key, ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                TagSet = [TierTag(marks.Tier)],
                ObjectLockMode = marks.LockMode is null ? null : ObjectLockMode.FindValue(marks.LockMode),
                ObjectLockRetainUntilDate = marks.RetainUntil,
            }, ct)).UploadId;
            var checksum = TakeChecksum();
            var number = parts.Count + 1;
            var response = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = buffer, PartSize = buffer.Length,
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256, ChecksumSHA256 = checksum,
            }, ct);
            parts.Add(new PartETag { PartNumber = number, ETag = response.ETag, ChecksumSHA256 = checksum });
            buffer = new MemoryStream();
        }

        /// <summary>Makes the object visible; null when exclusive and the key was taken (nothing replaced).</summary>
        public async Task<long?> CompleteAsync(CancellationToken ct)
        {
            try
            {
                if (uploadId is null)
                {
                    var checksum = TakeChecksum();
                    await client.PutObjectAsync(new PutObjectRequest
                    {
                        BucketName = bucket, Key = key, InputStream = buffer, AutoCloseStream = false,
                        ChecksumAlgorithm = ChecksumAlgorithm.SHA256, ChecksumSHA256 = checksum,
                        TagSet = [TierTag(marks.Tier)],
                        ObjectLockMode = marks.LockMode is null ? null : ObjectLockMode.FindValue(marks.LockMode),
                        ObjectLockRetainUntilDate = marks.RetainUntil,
                        IfNoneMatch = exclusive ? "*" : null,
                    }, ct);
                    return length;
                }
                if (buffer.Length > 0) await UploadPartAsync(ct);
                await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = bucket, Key = key, UploadId = uploadId, PartETags = parts, IfNoneMatch = exclusive ? "*" : null,
                }, ct);
                uploadId = null;
                return length;
            }
            catch (AmazonS3Exception e) when (exclusive && e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                await AbortAsync();
                return null;
            }
        }

        /// <summary>Drops an unfinished multipart upload so its parts do not linger (and cost) in the bucket.</summary>
        public async Task AbortAsync()
        {
            if (uploadId is null) return;
            try { await client.AbortMultipartUploadAsync(bucket, key, uploadId); }
            catch (Exception) { /* best effort: lifecycle rules clean up what remains */ }
            uploadId = null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) sha256.Dispose();
            base.Dispose(disposing);
        }

        public override void Flush() { }
        public override int Read(byte[] data, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
