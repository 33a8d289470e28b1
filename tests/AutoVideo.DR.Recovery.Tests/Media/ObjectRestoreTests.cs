using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.Media;

[Collection(S3Collection.Name)]
public sealed class ObjectRestoreTests(MotoS3Fixture moto) : IDisposable
{
    readonly VersionedBuckets s3 = new(moto);

    ObjectRestore Restore => new(s3.Client);

    [Fact]
    public async Task As_of_a_time_overwrites_deletes_and_later_objects_are_undone_and_every_version_is_kept()
    {
        var bucket = await s3.NewBucketAsync();
        await s3.PutAsync(bucket, "uploads/a.mp4", "a-1");
        await s3.PutAsync(bucket, "uploads/b.mp4", "b-1");
        await s3.PutAsync(bucket, "uploads/gone-before.mp4", "x");
        // A second apart: S3 orders two writes of one second by its listing, which moto does not reproduce
        // (it lists delete markers after versions).
        await VersionedBuckets.MomentAsync();
        await s3.DeleteAsync(bucket, "uploads/gone-before.mp4");
        var t = await VersionedBuckets.MomentAsync();
        await s3.PutAsync(bucket, "uploads/a.mp4", "a-2");              // overwrite
        await s3.DeleteAsync(bucket, "uploads/b.mp4");                   // delete marker
        await s3.PutAsync(bucket, "uploads/gone-before.mp4", "revived"); // deleted at T, written again after
        await s3.PutAsync(bucket, "uploads/later.mp4", "new");           // created after T

        var result = await Restore.AsOfAsync(bucket, "", t, new ObjectRestoreOptions(), default);

        Assert.Equal("a-1", await s3.ReadAsync(bucket, "uploads/a.mp4"));
        Assert.Equal("b-1", await s3.ReadAsync(bucket, "uploads/b.mp4"));
        Assert.Null(await s3.ReadAsync(bucket, "uploads/gone-before.mp4"));
        Assert.Null(await s3.ReadAsync(bucket, "uploads/later.mp4"));
        Assert.Equal((2, 2, 2, 0), (result.Objects, result.Restored, result.Deleted, result.Unchanged));
        Assert.Equal(3, await s3.VersionCountAsync(bucket, "uploads/a.mp4")); // a-1, a-2 and the copy of a-1

        var again = await Restore.AsOfAsync(bucket, "", t, new ObjectRestoreOptions(), default);
        Assert.Equal((0, 0, 2), (again.Restored, again.Deleted, again.Unchanged));
    }

    [Fact]
    public async Task A_prefix_limits_the_restore_and_a_dry_run_changes_nothing()
    {
        var bucket = await s3.NewBucketAsync();
        await s3.PutAsync(bucket, "generated/1.mp4", "g-1");
        await s3.PutAsync(bucket, "uploads/1.mp4", "u-1");
        var t = await VersionedBuckets.MomentAsync();
        await s3.PutAsync(bucket, "generated/1.mp4", "g-2");
        await s3.PutAsync(bucket, "uploads/1.mp4", "u-2");

        var dry = await Restore.AsOfAsync(bucket, "generated/", t, new ObjectRestoreOptions(DryRun: true), default);
        Assert.Equal("g-2", await s3.ReadAsync(bucket, "generated/1.mp4"));
        Assert.Equal(["generated/1.mp4"], dry.Changes.Select(c => c.Key));

        await Restore.AsOfAsync(bucket, "generated/", t, new ObjectRestoreOptions(), default);
        Assert.Equal("g-1", await s3.ReadAsync(bucket, "generated/1.mp4"));
        Assert.Equal("u-2", await s3.ReadAsync(bucket, "uploads/1.mp4"));
    }

    [Fact]
    public async Task A_time_before_the_earliest_version_an_unknown_bucket_and_an_unversioned_bucket_are_refused_in_one_line()
    {
        var bucket = await s3.NewBucketAsync();
        await s3.PutAsync(bucket, "k", "v");
        var early = await Assert.ThrowsAsync<RecoveryException>(() => Restore.AsOfAsync(bucket, "", DateTimeOffset.UtcNow.AddDays(-1), new ObjectRestoreOptions(), default));
        Assert.Contains("is before the earliest version in", early.Message);
        Assert.Equal("v", await s3.ReadAsync(bucket, "k"));

        var unknown = await Assert.ThrowsAsync<RecoveryException>(() => Restore.AsOfAsync("no-such-bucket-here", "", DateTimeOffset.UtcNow, new ObjectRestoreOptions(), default));
        Assert.StartsWith("unknown bucket 'no-such-bucket-here'", unknown.Message);

        var plain = await s3.NewBucketAsync(versioned: false);
        var unversioned = await Assert.ThrowsAsync<RecoveryException>(() => Restore.AsOfAsync(plain, "", DateTimeOffset.UtcNow, new ObjectRestoreOptions(), default));
        Assert.Contains("is not versioned", unversioned.Message);
    }

    [Fact]
    public async Task An_inventory_restores_the_exact_versions_it_recorded_with_their_checksums()
    {
        var bucket = await s3.NewBucketAsync();
        await s3.PutAsync(bucket, "a", "a-1");
        await s3.PutAsync(bucket, "b", "b-1");
        var inventory = await BucketInventory.TakeAsync(s3.Client, bucket, null, DateTimeOffset.UtcNow.AddSeconds(1), null, null, default);
        await VersionedBuckets.MomentAsync();
        await s3.PutAsync(bucket, "a", "a-2");
        await s3.DeleteAsync(bucket, "b");
        await s3.PutAsync(bucket, "c", "later");

        var result = await Restore.ToInventoryAsync(bucket, "", inventory, new ObjectRestoreOptions(), default);

        Assert.Equal(2, inventory.Objects.Count);
        Assert.Equal(Sha256("a-1"), inventory.Objects.Single(o => o.Key == "a").Sha256);
        Assert.Equal(("a-1", "b-1", (string?)null), (await s3.ReadAsync(bucket, "a"), await s3.ReadAsync(bucket, "b"), await s3.ReadAsync(bucket, "c")));
        Assert.Equal((2, 1), (result.Restored, result.Deleted));
    }

    [Fact]
    public async Task The_replica_bucket_is_restored_from_its_own_versions_found_by_checksum_when_the_ids_differ()
    {
        var primary = await s3.NewBucketAsync();
        var replica = await s3.NewBucketAsync();
        await s3.PutAsync(primary, "u/1.mp4", "one");
        await s3.PutAsync(replica, "u/1.mp4", "one"); // a copy: same bytes, another version id
        var inventory = await BucketInventory.TakeAsync(s3.Client, primary, null, DateTimeOffset.UtcNow.AddSeconds(1), null, null, default);
        await s3.PutAsync(replica, "u/1.mp4", "overwritten in the peer region");

        await Restore.ToInventoryAsync(replica, "", inventory, new ObjectRestoreOptions(), default);

        Assert.Equal("one", await s3.ReadAsync(replica, "u/1.mp4"));
    }

    [Fact]
    public async Task A_missing_version_or_a_checksum_mismatch_refuses_the_whole_restore_and_changes_nothing()
    {
        var bucket = await s3.NewBucketAsync();
        var v1 = await s3.PutAsync(bucket, "a", "a-1");
        await s3.PutAsync(bucket, "b", "b-1");
        var inventory = await BucketInventory.TakeAsync(s3.Client, bucket, null, DateTimeOffset.UtcNow.AddSeconds(1), null, null, default);
        await s3.PutAsync(bucket, "a", "a-2");
        await s3.PutAsync(bucket, "b", "b-2");

        var missing = inventory with { Objects = [.. inventory.Objects.Where(o => o.Key != "b"), inventory.Objects.Single(o => o.Key == "b") with { VersionId = "no-such-version", Sha256 = Sha256("never stored") }] };
        var e1 = await Assert.ThrowsAsync<RecoveryException>(() => Restore.ToInventoryAsync(bucket, "", missing, new ObjectRestoreOptions(), default));
        Assert.StartsWith("missing object version: b", e1.Message);
        Assert.EndsWith($"nothing was restored in bucket '{bucket}'", e1.Message);

        var damaged = inventory with { Objects = [.. inventory.Objects.Where(o => o.Key != "a"), inventory.Objects.Single(o => o.Key == "a") with { Sha256 = Sha256("other bytes") }] };
        var e2 = await Assert.ThrowsAsync<RecoveryException>(() => Restore.ToInventoryAsync(bucket, "", damaged, new ObjectRestoreOptions(), default));
        Assert.StartsWith($"checksum mismatch: a version {v1} has SHA-256 {Sha256("a-1")[..12]}", e2.Message);

        Assert.Equal(("a-2", "b-2"), (await s3.ReadAsync(bucket, "a"), await s3.ReadAsync(bucket, "b")));
        Assert.Equal(2, await s3.VersionCountAsync(bucket, "a"));
    }

    [Fact]
    public async Task The_copy_asks_s3_for_the_sha256_of_the_version_it_names_as_the_api_defines_it()
    {
        var bucket = await s3.NewBucketAsync();
        var v1 = await s3.PutAsync(bucket, "a", "a-1");
        var t = await VersionedBuckets.MomentAsync();
        await s3.PutAsync(bucket, "a", "a-2");
        using var http = new HttpClient();
        // moto's recorder keeps every request as it reached the endpoint, headers included.
        await http.PostAsync($"{moto.Endpoint}/moto-api/recorder/reset-recording", null);
        await http.PostAsync($"{moto.Endpoint}/moto-api/recorder/start-recording", null);
        try { await Restore.AsOfAsync(bucket, "", t, new ObjectRestoreOptions(), default); }
        finally { await http.PostAsync($"{moto.Endpoint}/moto-api/recorder/stop-recording", null); }
        var recording = await http.GetStringAsync($"{moto.Endpoint}/moto-api/recorder/download-recording");

        var copies = recording.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name.ToLowerInvariant(), h => h.Value.GetString()))
            .Where(h => h.ContainsKey("x-amz-copy-source")).ToList();
        var copy = Assert.Single(copies);
        // API_CopyObject: x-amz-checksum-algorithm makes S3 compute that checksum of the copy; the source names its version.
        Assert.Equal("SHA256", copy["x-amz-checksum-algorithm"]);
        Assert.EndsWith($"/a?versionId={v1}", Uri.UnescapeDataString(copy["x-amz-copy-source"]!));
    }

    static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    public void Dispose() => s3.Dispose();
}
