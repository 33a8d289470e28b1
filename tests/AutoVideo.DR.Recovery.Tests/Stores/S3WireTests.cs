using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Stores;

/// <summary>
/// What the S3 store sends, as it reaches the endpoint (through <see cref="RecordingProxy"/>): the
/// rules real S3 enforces and moto does not (checksums on a locked bucket, If-None-Match) are
/// asserted on the recorded requests; what moto does keep (tags, retention, versions) is read back.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class S3WireTests(MotoS3Fixture moto) : IAsyncLifetime
{
    readonly string prefix = "wire-" + Guid.NewGuid().ToString("N")[..8];
    RecordingProxy proxy = null!;

    public Task InitializeAsync()
    {
        proxy = new RecordingProxy(moto.Endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await proxy.DisposeAsync();

    S3Store Store(string bucket = MotoS3Fixture.Bucket) => moto.Store(prefix, bucket, proxy.Endpoint);

    static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    static async Task WriteLargeAsync(Func<string, Func<Stream, CancellationToken, Task>, CancellationToken, Task> write, string key, byte[] bytes) =>
        await write(key, async (stream, ct) =>
        {
            for (var offset = 0; offset < bytes.Length; offset += 1 << 20)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(1 << 20, bytes.Length - offset)), ct);
        }, default);

    /// <summary>PutObject (PUT without subresource) and UploadPart (PUT ?partNumber&amp;uploadId): the requests that upload object data.</summary>
    static bool IsUpload(RecordedRequest r) =>
        r.Method == "PUT" && (r.Query.Count == 0 || r.Query.SetEquals(["partNumber", "uploadId"]));

    [Fact]
    public async Task Every_upload_request_carries_the_sha256_of_its_body_whatever_the_bucket()
    {
        foreach (var bucket in new[] { MotoS3Fixture.Bucket, MotoS3Fixture.LockedBucket })
        {
            using var store = Store(bucket);
            await store.WriteAllBytesAsync("b/small.bin", RandomBytes(10_000), default);
            await store.CreateAllBytesAsync("b/claim.json", [1, 2, 3], default);
            await WriteLargeAsync(store.WriteAsync, "b/large.bin", RandomBytes(S3Store.PartSize + 1_000_000));
        }

        var uploads = proxy.Requests.Where(IsUpload).ToList();
        Assert.Equal(2 * 2, uploads.Count(r => r.Query.Count == 0)); // two PutObject per bucket
        Assert.Equal(2 * 2, uploads.Count(r => r.Query.Contains("partNumber"))); // two parts per large object
        // S3 refuses an upload into a bucket with Object Lock retention without Content-MD5 or a
        // flexible checksum; x-amz-checksum-sha256 is one, and it must be the body's.
        Assert.All(uploads, r =>
        {
            Assert.Equal(r.PayloadSha256Base64(), r.Header("x-amz-checksum-sha256"));
            Assert.Equal("SHA256", r.Header("x-amz-sdk-checksum-algorithm"));
        });
        Assert.All(proxy.Requests.Where(r => r.Method == "POST" && r.Query.Contains("uploads")),
            r => Assert.Equal("SHA256", r.Header("x-amz-checksum-algorithm")));
    }

    [Fact]
    public async Task A_create_is_conditional_on_the_wire_and_never_replaces_an_object()
    {
        using var store = Store();
        var first = RandomBytes(1000);
        var large = RandomBytes(S3Store.PartSize + 10);

        Assert.True(await store.CreateAllBytesAsync("c/claim.json", first, default));
        Assert.False(await store.CreateAllBytesAsync("c/claim.json", RandomBytes(1000), default));
        Assert.NotNull(await store.CreateAsync("c/large.bin", (s, ct) => s.WriteAsync(large, ct).AsTask(), default));
        Assert.Null(await store.CreateAsync("c/large.bin", (s, ct) => s.WriteAsync(RandomBytes(S3Store.PartSize + 10), ct).AsTask(), default));

        Assert.Equal(first, await store.ReadAllBytesAsync("c/claim.json", default));
        Assert.Equal(large, await store.ReadAllBytesAsync("c/large.bin", default));
        var puts = proxy.Requests.Where(r => r.Method == "PUT" && r.Query.Count == 0 && r.Path.EndsWith("c/claim.json")).ToList();
        Assert.Equal(2, puts.Count);
        Assert.All(puts, r => Assert.Equal("*", r.Header("If-None-Match")));
        var completes = proxy.Requests.Where(r => r.Method == "POST" && r.Query.SetEquals(["uploadId"])).ToList();
        Assert.Equal(2, completes.Count);
        Assert.All(completes, r => Assert.Equal("*", r.Header("If-None-Match")));
        // The losing multipart upload was aborted, not left to cost.
        using var client = moto.Client();
        var open = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = MotoS3Fixture.Bucket, Prefix = prefix });
        Assert.Empty(open.MultipartUploads ?? []);
        // A plain write is not conditional: it replaces.
        await store.WriteAllBytesAsync("c/claim.json", [9], default);
        Assert.Equal([9], await store.ReadAllBytesAsync("c/claim.json", default));
        Assert.Null(proxy.Requests.Last(r => r.Method == "PUT" && r.Path.EndsWith("c/claim.json")).Header("If-None-Match"));
    }

    [Fact]
    public async Task Objects_in_a_locked_bucket_are_tagged_hourly_and_retained_for_the_hourly_lock_days()
    {
        using var store = Store(MotoS3Fixture.LockedBucket);
        var before = DateTimeOffset.UtcNow;
        await store.WriteAllBytesAsync("l/small.bin", RandomBytes(100), default);
        await WriteLargeAsync(store.WriteAsync, "l/large.bin", RandomBytes(S3Store.PartSize + 100));
        var after = DateTimeOffset.UtcNow;

        var hourly = BackupTier.Hourly.Rule();
        var creating = proxy.Requests.Where(r => (r.Method == "PUT" && r.Query.Count == 0) || (r.Method == "POST" && r.Query.Contains("uploads"))).ToList();
        Assert.Equal(2, creating.Count);
        Assert.All(creating, r =>
        {
            Assert.Equal($"{BackupTiers.TagKey}={hourly.Tier.Name()}", r.Header("x-amz-tagging"));
            // The bucket's default mode (GOVERNANCE in the fixture), until now + lockDays.
            Assert.Equal("GOVERNANCE", r.Header("x-amz-object-lock-mode"));
            var until = DateTimeOffset.Parse(r.Header("x-amz-object-lock-retain-until-date")!);
            Assert.InRange(until, before + hourly.Lock - TimeSpan.FromSeconds(1), after + hourly.Lock + TimeSpan.FromSeconds(1));
        });
        // What moto kept (it ignores lock headers on a multipart upload; the wire above shows they are sent).
        var hold = await store.HoldAsync("l/small.bin", default);
        Assert.Equal(BackupTier.Hourly, hold.Tier);
        Assert.InRange(hold.LockedUntil!.Value, before + hourly.Lock - TimeSpan.FromSeconds(1), after + hourly.Lock + TimeSpan.FromSeconds(1));
        Assert.Equal(BackupTier.Hourly, (await store.HoldAsync("l/large.bin", default)).Tier);
    }

    [Fact]
    public async Task Objects_in_a_bucket_without_object_lock_are_tagged_and_carry_no_retention()
    {
        using var store = Store();
        await store.WriteAllBytesAsync("p/small.bin", RandomBytes(100), default);

        var put = Assert.Single(proxy.Requests, r => r.Method == "PUT" && r.Query.Count == 0);
        Assert.Equal($"{BackupTiers.TagKey}=hourly", put.Header("x-amz-tagging"));
        Assert.Null(put.Header("x-amz-object-lock-mode"));
        Assert.Equal(new ObjectHold(BackupTier.Hourly, null), await store.HoldAsync("p/small.bin", default));
    }

    [Fact]
    public async Task Marking_extends_retention_and_never_shortens_it()
    {
        using var store = Store(MotoS3Fixture.LockedBucket);
        await store.WriteAllBytesAsync("m/part.bin", [1], default);
        var daily = DateTimeOffset.UtcNow.AddDays(31);

        await store.MarkAsync(["m/part.bin"], BackupTier.Daily, daily, default);
        var extended = await store.HoldAsync("m/part.bin", default);
        proxy.Clear();
        await store.MarkAsync(["m/part.bin"], BackupTier.Weekly, DateTimeOffset.UtcNow.AddDays(5), default);

        Assert.Equal(BackupTier.Daily, extended.Tier);
        Assert.InRange(extended.LockedUntil!.Value, daily.AddSeconds(-1), daily.AddSeconds(1));
        var now = await store.HoldAsync("m/part.bin", default);
        Assert.Equal(BackupTier.Weekly, now.Tier);
        Assert.Equal(extended.LockedUntil, now.LockedUntil);
        // moto would accept a shorter date; the store never sends one.
        Assert.DoesNotContain(proxy.Requests, r => r.Query.Contains("retention") && r.Method == "PUT");
        Assert.Contains(proxy.Requests, r => r.Query.Contains("tagging") && r.Method == "PUT");
    }

    [Fact]
    public async Task Deleting_removes_every_version_and_object_lock_refuses_a_retained_one()
    {
        using var store = Store(MotoS3Fixture.LockedBucket);
        using var client = moto.Client();
        await store.WriteAllBytesAsync("d/expired.bin", [1], default);
        await store.WriteAllBytesAsync("d/expired.bin", [2], default); // a second version
        await store.WriteAllBytesAsync("d/retained.bin", [3], default);
        // Age the first key past its lock, as time would (GOVERNANCE lets the test's bypass do it).
        foreach (var version in (await VersionsAsync(client, $"{prefix}/d/expired.bin")).Versions ?? [])
            await client.PutObjectRetentionAsync(new PutObjectRetentionRequest
            {
                BucketName = MotoS3Fixture.LockedBucket, Key = version.Key, VersionId = version.VersionId, BypassGovernanceRetention = true,
                Retention = new ObjectLockRetention { Mode = ObjectLockRetentionMode.Governance, RetainUntilDate = DateTime.UtcNow.AddMinutes(-1) },
            });

        await store.DeleteAsync(["d/expired.bin"], default);
        var e = await Assert.ThrowsAsync<RecoveryException>(() => store.DeleteAsync(["d/retained.bin"], default));

        var left = await VersionsAsync(client, $"{prefix}/d/");
        Assert.Equal([$"{prefix}/d/retained.bin"], (left.Versions ?? []).Select(v => v.Key));
        Assert.DoesNotContain(left.Versions ?? [], v => v.IsDeleteMarker == true);
        Assert.Contains("refused to delete 1 object version", e.Message);
        Assert.Contains("d/retained.bin", e.Message);
        // By version id: a plain DELETE would only have added a delete marker.
        Assert.All(proxy.Requests.Where(r => r.Query.Contains("delete")), r => Assert.Contains("<VersionId>", System.Text.Encoding.UTF8.GetString(r.Payload())));
    }

    static Task<ListVersionsResponse> VersionsAsync(AmazonS3Client client, string keyPrefix) =>
        client.ListVersionsAsync(new ListVersionsRequest { BucketName = MotoS3Fixture.LockedBucket, Prefix = keyPrefix });
}
