using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>Listing a store: every backup, newest first, with its manifests read several at once.</summary>
[Collection(BackupsCollection.Name)]
public sealed class CatalogScanTests(BackupsFixture fixture)
{
    [Fact]
    public async Task The_manifests_are_read_several_at_once_and_the_backups_listed_newest_first()
    {
        using var directory = new TemporaryDirectory();
        var inner = new DirectoryStore(directory.Path);
        var now = DateTimeOffset.UtcNow;
        var names = new List<string>();
        for (var hours = 0; hours < 12; hours++) names.Add(await fixture.SyntheticAsync(inner, now.AddHours(-hours)));
        // Each manifest read is held until four are open at once, or 10 s have passed: reads made one
        // after another (one S3 round trip each, hundreds of backups) would never get there.
        int open = 0, most = 0;
        var fourOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = Task.WhenAny(fourOpen.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        var store = new InterceptingStore(inner, (_, _) => Task.CompletedTask, (key, stream) =>
        {
            if (!key.EndsWith(BackupManifest.FileName, StringComparison.Ordinal)) return stream;
            var reading = Interlocked.Increment(ref open);
            InterlockedMax(ref most, reading);
            if (reading >= 4) fourOpen.TrySetResult();
            return new HeldStream(stream, hold, () => Interlocked.Decrement(ref open));
        });

        var listed = await new BackupCatalog(store).ListAsync(default);

        Assert.Equal(names, listed.Select(e => e.Name));
        Assert.All(listed, e => Assert.NotNull(e.Manifest));
        Assert.True(most >= 4, $"at most {most} manifest read(s) at once");
    }

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
