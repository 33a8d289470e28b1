using System.Text;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using AutoVideo.DR.Recovery.Tests.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// Two backups started at the same moment into one store (two cron jobs overlapping, a manual run
/// beside the scheduled one) both complete, each under its own claimed name, and both verify.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class ConcurrentBackupTests(BackupsFixture fixture, MotoS3Fixture moto)
{
    [Fact]
    public async Task Two_backups_raced_into_a_directory_both_complete_under_their_own_names()
    {
        using var directory = new TemporaryDirectory();
        await RaceAsync(new DirectoryStore(directory.Path), fixture);
    }

    [Fact]
    public async Task Two_backups_raced_into_s3_both_complete_under_their_own_names()
    {
        using var store = moto.Store("race-" + Guid.NewGuid().ToString("N")[..8]);
        await RaceAsync(store, fixture);
    }

    internal static async Task RaceAsync(IBackupStore store, BackupsFixture fixture)
    {
        var writer = new BackupWriter(NullLogger<BackupWriter>.Instance);
        using var start = new ManualResetEventSlim();
        var backups = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return writer.BackupAsync(fixture.Standby, store, new BackupOptions(Parallelism: 2), default);
        })).ToList();
        start.Set();

        var manifests = await Task.WhenAll(backups);

        Assert.NotEqual(manifests[0].Name, manifests[1].Name);
        var catalog = new BackupCatalog(store);
        Assert.Equal(manifests.Select(m => m.Name).Order(), (await catalog.ListAsync(default)).Select(e => e.Name).Order());
        foreach (var manifest in manifests)
        {
            var report = await BackupVerifier.VerifyAsync(store, await catalog.ReadManifestAsync(manifest.Name, default), null, default);
            Assert.True(report.Passed, report.Problem);
            Assert.True(await store.ExistsAsync($"{manifest.Name}/{BackupCatalog.ClaimFile}", default));
        }
    }

    [Fact]
    public async Task A_claim_that_loses_takes_another_name_and_leaves_the_winners_alone()
    {
        using var directory = new TemporaryDirectory();
        var inner = new DirectoryStore(directory.Path);
        string? lost = null;
        var winner = Encoding.UTF8.GetBytes("the other backup's claim");
        // Another backup creates the first name this one tries, just before it does.
        var store = new InterceptingStore(inner, async (key, ct) =>
        {
            if (lost is null && key.EndsWith(BackupCatalog.ClaimFile, StringComparison.Ordinal))
            {
                lost = key[..key.IndexOf('/')];
                await inner.CreateAllBytesAsync(key, winner, ct);
            }
        });

        var name = await new BackupCatalog(store).ClaimAsync(DateTimeOffset.UtcNow, default);

        Assert.NotNull(lost);
        Assert.NotEqual(lost, name);
        Assert.True(BackupName.IsValid(name));
        Assert.Equal(winner, await inner.ReadAllBytesAsync($"{lost}/{BackupCatalog.ClaimFile}", default));
        Assert.Single(await inner.ListAsync($"{lost}/", default));
        Assert.Single(await inner.ListAsync($"{name}/", default));
    }

    [Fact]
    public async Task A_manifest_is_never_replaced()
    {
        using var directory = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(directory);
        var original = await store.ReadAllBytesAsync($"{fixture.Manifest.Name}/{BackupManifest.FileName}", default);

        var e = await Assert.ThrowsAsync<RecoveryException>(() => new BackupCatalog(store).CompleteAsync(fixture.Manifest with { CompletedAt = DateTimeOffset.UtcNow }, default));

        Assert.Contains("already has a manifest", e.Message);
        Assert.Equal(original, await store.ReadAllBytesAsync($"{fixture.Manifest.Name}/{BackupManifest.FileName}", default));
    }
}

/// <summary>The same race into Google Cloud Storage, when AUTOVIDEO_DR_GCS_ENDPOINT names one (as the GCS store contract).</summary>
[Collection(BackupsCollection.Name)]
[RequiresEnvironment(GcsStoreContractTests.EndpointVariable, "GCS race not run: AUTOVIDEO_DR_GCS_ENDPOINT is not set (point it at a GCS endpoint or emulator to run it)")]
public sealed class GcsConcurrentBackupTests(BackupsFixture fixture)
{
    [StoreFact]
    public async Task Two_backups_raced_into_gcs_both_complete_under_their_own_names()
    {
        using var store = new GcsStore(
            Environment.GetEnvironmentVariable("AUTOVIDEO_DR_GCS_BUCKET") is { Length: > 0 } bucket ? bucket : "autovideo-backups",
            "race-" + Guid.NewGuid().ToString("N")[..8],
            new GcsStoreOptions(Environment.GetEnvironmentVariable(GcsStoreContractTests.EndpointVariable)));
        await ConcurrentBackupTests.RaceAsync(store, fixture);
    }
}
