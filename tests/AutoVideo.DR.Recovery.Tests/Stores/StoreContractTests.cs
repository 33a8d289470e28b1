using Xunit.Abstractions;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Stores;

/// <summary>
/// What every store must do, run against each of them: whole-object writes that appear only when
/// complete, create-if-absent, streaming reads, listing by prefix, deletes, tier marks where the
/// store has them, clear errors for missing objects and missing stores, and no key that leaves the
/// store's root.
/// </summary>
public abstract class StoreContractTests
{
    protected abstract IBackupStore Store { get; }

    /// <summary>A store of the same kind whose root (directory, bucket) does not exist.</summary>
    protected abstract IBackupStore MissingStore { get; }

    [StoreFact]
    public async Task A_written_object_reads_back_identical_and_is_listed_with_its_size()
    {
        var bytes = RandomBytes(100_000);
        Assert.Equal(bytes.Length, await Store.WriteAllBytesAsync("b1/parts/a.bin", bytes, default));

        Assert.Equal(bytes, await Store.ReadAllBytesAsync("b1/parts/a.bin", default));
        Assert.Contains(new StoredObject("b1/parts/a.bin", bytes.Length), await Store.ListAsync("b1/", default));
    }

    [StoreFact]
    public async Task An_object_larger_than_one_upload_part_streams_through_whole()
    {
        var bytes = RandomBytes(S3Store.PartSize + 1_234_567);
        await Store.WriteAsync("big/object.bin", async (stream, ct) =>
        {
            for (var offset = 0; offset < bytes.Length; offset += 1 << 20)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(1 << 20, bytes.Length - offset)), ct);
        }, default);

        Assert.Equal(bytes, await Store.ReadAllBytesAsync("big/object.bin", default));
    }

    [StoreFact]
    public async Task A_write_that_fails_half_way_leaves_no_object()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync("failed/part.bin", async (stream, ct) =>
        {
            await stream.WriteAsync(RandomBytes(10_000), ct);
            throw new InvalidOperationException("the source broke");
        }, default));

        Assert.Empty(await Store.ListAsync("failed/", default));
    }

    [StoreFact]
    public async Task Listing_is_by_prefix_and_deleting_removes_only_what_is_named()
    {
        foreach (var key in new[] { "p/one", "p/two", "q/three" }) await Store.WriteAllBytesAsync(key, [1, 2, 3], default);

        Assert.Equal(["p/one", "p/two"], (await Store.ListAsync("p/", default)).Select(o => o.Key));
        await Store.DeleteAsync(["p/one"], default);
        Assert.Equal(["p/two"], (await Store.ListAsync("p/", default)).Select(o => o.Key));
        Assert.Single(await Store.ListAsync("q/", default));
    }

    [StoreFact]
    public async Task Reading_a_missing_object_names_it()
    {
        var e = await Assert.ThrowsAsync<RecoveryException>(() => Store.OpenReadAsync("nowhere/missing.bin", default));
        Assert.Contains("nowhere/missing.bin is missing", e.Message);
    }

    [StoreFact]
    public async Task A_create_writes_only_when_the_key_is_absent_and_never_replaces()
    {
        var first = RandomBytes(1_000);

        Assert.True(await Store.CreateAllBytesAsync("c/claim.json", first, default));
        Assert.False(await Store.CreateAllBytesAsync("c/claim.json", RandomBytes(1_000), default));

        Assert.Equal(first, await Store.ReadAllBytesAsync("c/claim.json", default));
        Assert.Equal(["c/claim.json"], (await Store.ListAsync("c/", default)).Select(o => o.Key));
    }

    [StoreFact]
    public async Task A_new_object_carries_the_initial_tier_and_a_mark_changes_it_where_the_store_has_tiers()
    {
        await Store.WriteAllBytesAsync("t/part.bin", [1, 2, 3], default);
        var written = await Store.HoldAsync("t/part.bin", default);
        await Store.MarkAsync(["t/part.bin"], BackupTier.Weekly, DateTimeOffset.UtcNow.AddDays(1), default);
        var marked = await Store.HoldAsync("t/part.bin", default);

        Assert.Equal(Store.MarksTiers ? BackupTiers.Initial : null, written.Tier);
        Assert.Equal(Store.MarksTiers ? BackupTier.Weekly : null, marked.Tier);
        Assert.Equal([1, 2, 3], await Store.ReadAllBytesAsync("t/part.bin", default));
    }

    [StoreFact]
    public async Task Reading_a_store_that_does_not_exist_is_an_error_never_an_empty_store()
    {
        var e = await Assert.ThrowsAsync<RecoveryException>(() => MissingStore.ListAsync("", default));
        Assert.Contains("does not exist", e.Message);
    }

    [StoreFact]
    public async Task Keys_that_would_leave_the_store_are_rejected()
    {
        foreach (var key in new[] { "../escape", "a/../../escape", "/etc/passwd", "a//b", "a\\..\\b", "./a" })
        {
            var e = await Assert.ThrowsAsync<RecoveryException>(() => Store.WriteAllBytesAsync(key, [1], default));
            Assert.Contains("unsafe path", e.Message);
        }
    }

    static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

public sealed class DirectoryStoreContractTests : StoreContractTests, IDisposable
{
    readonly TemporaryDirectory directory = new();
    readonly DirectoryStore store;

    public DirectoryStoreContractTests()
    {
        Directory.CreateDirectory(directory.Path);
        store = new DirectoryStore(directory.Path);
    }

    protected override IBackupStore Store => store;

    protected override IBackupStore MissingStore => new DirectoryStore(directory.Combine("missing"));

    [Fact]
    public async Task Of_many_simultaneous_creates_of_one_key_exactly_one_wins()
    {
        var contents = Enumerable.Range(0, 16).Select(i => new[] { (byte)i }).ToList();
        using var start = new ManualResetEventSlim();
        var creates = contents.Select(c => Task.Run(async () =>
        {
            start.Wait();
            return await store.CreateAllBytesAsync("race/claim.json", c, default);
        })).ToList();
        start.Set();

        var won = await Task.WhenAll(creates);

        var winner = Assert.Single(won.Select((w, i) => (Won: w, Index: i)), x => x.Won).Index;
        Assert.Equal(contents[winner], await store.ReadAllBytesAsync("race/claim.json", default));
        Assert.Single(await store.ListAsync("race/", default)); // no temporary file left behind
    }

    [Fact]
    public async Task The_store_never_lists_a_file_still_being_written()
    {
        Directory.CreateDirectory(directory.Combine("b"));
        File.WriteAllText(directory.Combine("b", "part.bin.0123.partial"), "half");
        Assert.Empty(await store.ListAsync("", default));
    }

    public void Dispose() => directory.Dispose();
}

[Collection(S3Collection.Name)]
public sealed class S3StoreContractTests(MotoS3Fixture moto) : StoreContractTests, IDisposable
{
    readonly S3Store store = moto.Store("contract-" + Guid.NewGuid().ToString("N")[..8]);

    protected override IBackupStore Store => store;

    protected override IBackupStore MissingStore => moto.Store("x", bucket: "autovideo-no-such-bucket");

    public void Dispose() => store.Dispose();
}

/// <summary>
/// Google Cloud Storage, against the endpoint in AUTOVIDEO_DR_GCS_ENDPOINT (e.g. fake-gcs-server)
/// and the bucket in AUTOVIDEO_DR_GCS_BUCKET (default autovideo-backups), when one is configured;
/// otherwise every test here is reported skipped with the reason below.
/// </summary>
[RequiresEnvironment(EndpointVariable, "GCS contract not run: AUTOVIDEO_DR_GCS_ENDPOINT is not set (point it at a GCS endpoint or emulator to run it)")]
public sealed class GcsStoreContractTests : StoreContractTests
{
    public const string EndpointVariable = "AUTOVIDEO_DR_GCS_ENDPOINT";

    readonly Lazy<GcsStore> store = new(() => new GcsStore(
        Environment.GetEnvironmentVariable("AUTOVIDEO_DR_GCS_BUCKET") is { Length: > 0 } bucket ? bucket : "autovideo-backups",
        "contract-" + Guid.NewGuid().ToString("N")[..8],
        new GcsStoreOptions(Environment.GetEnvironmentVariable(EndpointVariable))));

    protected override IBackupStore Store => store.Value;

    protected override IBackupStore MissingStore =>
        new GcsStore("autovideo-no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], "x", new GcsStoreOptions(Environment.GetEnvironmentVariable(EndpointVariable)));
}

/// <summary>Says in the test output whether the GCS contract ran, so a run without it is visible as such.</summary>
public sealed class GcsContractStatus(ITestOutputHelper output)
{
    [Fact]
    public void Report_whether_the_gcs_contract_ran()
    {
        var endpoint = Environment.GetEnvironmentVariable(GcsStoreContractTests.EndpointVariable);
        output.WriteLine(string.IsNullOrEmpty(endpoint)
            ? "GCS store contract NOT run: AUTOVIDEO_DR_GCS_ENDPOINT is not set; its tests are reported as skipped."
            : $"GCS store contract run against {endpoint}.");
    }
}

[CollectionDefinition(Name)]
public sealed class S3Collection : ICollectionFixture<MotoS3Fixture>
{
    public const string Name = "s3 store";
}
