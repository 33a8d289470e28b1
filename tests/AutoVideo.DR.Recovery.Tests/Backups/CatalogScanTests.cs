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

    /// <summary>A read stream that answers nothing until <paramref name="hold"/> completes, and reports its disposal.</summary>
    sealed class HeldStream(Stream inner, Task hold, Action disposed) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            await hold.WaitAsync(ct);
            return await inner.ReadAsync(buffer, ct);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) { inner.Dispose(); disposed(); }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            disposed();
            GC.SuppressFinalize(this);
        }
    }
}
