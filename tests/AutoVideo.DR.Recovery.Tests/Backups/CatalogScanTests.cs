using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>Finding backups and their records in a store of many: every one found, in order, several read at once.</summary>
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
        var gate = new ReadGate(BackupManifest.FileName);

        var listed = await new BackupCatalog(gate.Around(inner)).ListAsync(default);

        Assert.Equal(names, listed.Select(e => e.Name));
        Assert.All(listed, e => Assert.NotNull(e.Manifest));
        Assert.True(gate.Most >= 4, $"at most {gate.Most} manifest read(s) at once");
    }

    [Fact]
    public async Task The_newest_measured_restore_is_found_behind_many_unmeasured_backups_with_several_records_read_at_once()
    {
        using var directory = new TemporaryDirectory();
        var inner = new DirectoryStore(directory.Path);
        var now = DateTimeOffset.UtcNow;
        var names = new List<string>();
        for (var quarters = 0; quarters < 40; quarters++)
        {
            var name = await fixture.SyntheticAsync(inner, now.AddMinutes(-15 * quarters));
            await ThroughputRecord.WriteBackupAsync(inner, name, new BackupTiming(now, 1, 10, 10, []), default);
            names.Add(name);
        }
        // Restore tests measured two older backups, the 31st newest last: its figure is the one to use.
        await ThroughputRecord.WriteRestoreAsync(inner, names[35], new RestoreTiming(now.AddDays(-1), 9, 1000, true, "test", []), default);
        await ThroughputRecord.WriteRestoreAsync(inner, names[30], new RestoreTiming(now, 2, 1000, true, "test", []), default);
        var gate = new ReadGate(ThroughputRecord.FileName);

        var found = await ThroughputRecord.LastRestoreAsync(gate.Around(inner), default);

        Assert.Equal(names[30], found?.Name);
        Assert.Equal(2, found?.Timing.Seconds);
        Assert.True(gate.Most >= 4, $"at most {gate.Most} record read(s) at once");
    }

    /// <summary>
    /// Hourly backups of many tables put tens of thousands of objects in a store, hundreds of listing
    /// pages on S3: the forecast beside a catalog's scan (after every backup and restore, in health)
    /// takes the throughput records from that scan's listing instead of listing the store again.
    /// </summary>
    [Fact]
    public async Task The_forecast_beside_a_scan_lists_the_store_no_second_time()
    {
        using var directory = new TemporaryDirectory();
        var inner = new DirectoryStore(directory.Path);
        var now = DateTimeOffset.UtcNow;
        var names = new List<string>();
        for (var hours = 0; hours < 5; hours++) names.Add(await fixture.SyntheticAsync(inner, now.AddHours(-hours)));
        await ThroughputRecord.WriteBackupAsync(inner, names[0], new BackupTiming(now, 1, 10, 10, []), default);
        await ThroughputRecord.WriteRestoreAsync(inner, names[2], new RestoreTiming(now, 4, 4 << 20, true, "test", []), default);
        var listings = 0;
        var store = new InterceptingStore(inner, (_, _) => Task.CompletedTask, beforeList: (_, _) =>
        {
            Interlocked.Increment(ref listings);
            return Task.CompletedTask;
        });

        var scan = await new BackupCatalog(store).ScanAsync(default);
        var forecast = await RestoreForecast.ForNewestAsync(store, scan, default);

        Assert.Equal([names[0], names[2]], scan.Recorded);
        Assert.Equal(names[0], forecast?.Backup);
        Assert.Contains($"measured by the restore of {names[2]}", forecast?.Basis);
        Assert.Equal(1, listings);
    }

    /// <summary>
    /// The restore's phase estimates come from the throughput records, which takes a listing of the
    /// whole store: it must run while the parts are checked, not hold the restore up before it. The
    /// listing is held until a part is opened; had it come first, nothing would open it for 10 s.
    /// </summary>
    [Fact]
    public async Task A_restore_lists_the_stores_records_while_it_checks_the_parts()
    {
        using var directory = new TemporaryDirectory();
        var inner = fixture.CopyOfBackup(directory);
        var partOpened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heldUntilPartOpened = false;
        var store = new InterceptingStore(inner, (_, _) => Task.CompletedTask,
            (key, stream) =>
            {
                if (key.Contains("/parts/", StringComparison.Ordinal)) partOpened.TrySetResult();
                return stream;
            },
            async (prefix, ct) =>
            {
                if (prefix != BackupName.Prefix) return;
                heldUntilPartOpened = await Task.WhenAny(partOpened.Task, Task.Delay(TimeSpan.FromSeconds(10), ct)) == partOpened.Task;
            });

        var result = await new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(store, fixture.Manifest.Name, fixture.NewTarget(), new RestoreOptions(), default);

        Assert.True(result.Passed);
        Assert.True(heldUntilPartOpened, "the store's records were listed before any part was checked");
    }

    /// <summary>
    /// A refused backup lets that listing end instead of cancelling it: an S3 listing cancelled in flight
    /// once held a refused restore for 75 s inside the AWS SDK. The listing is held half a second, past
    /// the refusal, and must end uncancelled before the refusal is reported.
    /// </summary>
    [Fact]
    public async Task A_refused_restore_lets_the_records_listing_end_before_it_reports()
    {
        using var directory = new TemporaryDirectory();
        var inner = fixture.CopyOfBackup(directory);
        var part = fixture.Manifest.Parts.First(p => p.Kind == BackupPart.TableData).Path;
        File.Delete(Path.Combine(directory.Path, fixture.Manifest.Name, part));
        bool? cancelled = null;
        var store = new InterceptingStore(inner, (_, _) => Task.CompletedTask, beforeList: async (prefix, ct) =>
        {
            if (prefix != BackupName.Prefix) return;
            try { await Task.Delay(500, ct); }
            catch (OperationCanceledException) { }
            cancelled = ct.IsCancellationRequested;
        });

        var e = await Assert.ThrowsAsync<RecoveryException>(() => new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(store, fixture.Manifest.Name, fixture.NewTarget(), new RestoreOptions(), default));

        Assert.Contains($"part {part} is missing", e.Message);
        Assert.False(cancelled, cancelled is null ? "the listing had not ended when the refusal was reported" : "the listing was cancelled");
    }

    /// <summary>
    /// The backup's progress estimates come from the same records: their listing runs beside the
    /// copies. It is held until a table's part is being written; had it come first, nothing would be.
    /// </summary>
    [Fact]
    public async Task A_backup_lists_the_stores_records_beside_its_copies()
    {
        using var directory = new TemporaryDirectory();
        var partWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heldUntilPartWritten = false;
        var store = new InterceptingStore(new DirectoryStore(directory.Path),
            (key, _) =>
            {
                if (key.Contains("/parts/data/", StringComparison.Ordinal)) partWritten.TrySetResult();
                return Task.CompletedTask;
            },
            beforeList: async (prefix, ct) =>
            {
                if (prefix != BackupName.Prefix || heldUntilPartWritten) return;
                heldUntilPartWritten = await Task.WhenAny(partWritten.Task, Task.Delay(TimeSpan.FromSeconds(10), ct)) == partWritten.Task;
            });

        var manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(fixture.Standby, store, new BackupOptions(), default);

        Assert.Equal(fixture.Manifest.Tables.Count, manifest.Tables.Count);
        Assert.True(heldUntilPartWritten, "the store's records were listed before any table was copied");
    }

    /// <summary>
    /// Holds each read of a key ending in <paramref name="suffix"/> until four are open at once, or 10 s
    /// have passed: reads made one after another (one S3 round trip each) never get there.
    /// </summary>
    sealed class ReadGate(string suffix)
    {
        readonly TaskCompletionSource fourOpen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? hold;
        int open, most;

        public int Most => Volatile.Read(ref most);

        public IBackupStore Around(IBackupStore inner)
        {
            hold = Task.WhenAny(fourOpen.Task, Task.Delay(TimeSpan.FromSeconds(10)));
            return new InterceptingStore(inner, (_, _) => Task.CompletedTask, (key, stream) =>
            {
                if (!key.EndsWith(suffix, StringComparison.Ordinal)) return stream;
                var reading = Interlocked.Increment(ref open);
                int seen;
                while ((seen = Volatile.Read(ref most)) < reading && Interlocked.CompareExchange(ref most, reading, seen) != seen) { }
                if (reading >= 4) fourOpen.TrySetResult();
                return new HeldStream(stream, hold, () => Interlocked.Decrement(ref open));
            });
        }
    }
}
