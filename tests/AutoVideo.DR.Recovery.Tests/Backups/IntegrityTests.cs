using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>Damaged, truncated, incomplete and hostile backups are found out before anything is written.</summary>
[Collection(BackupsCollection.Name)]
public sealed class IntegrityTests(BackupsFixture fixture)
{
    static BackupRestore Restore => new(NullLogger<BackupRestore>.Instance);

    [Fact]
    public async Task One_byte_changed_in_any_part_is_detected_and_the_part_named()
    {
        using var copy = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(copy);
        var name = fixture.Manifest.Name;
        foreach (var part in fixture.Manifest.Parts)
        {
            var path = Path.Combine(copy.Path, name, part.Path);
            var original = await File.ReadAllBytesAsync(path);
            foreach (var offset in new[] { 0, Random.Shared.Next(original.Length), original.Length - 1 })
            {
                var damaged = (byte[])original.Clone();
                damaged[offset] ^= 0x01;
                await File.WriteAllBytesAsync(path, damaged);

                var report = await BackupVerifier.VerifyAsync(store, fixture.Manifest, null, default);

                Assert.False(report.Passed);
                Assert.Contains($"part {part.Path} is damaged", report.Problem);
            }
            await File.WriteAllBytesAsync(path, original);
        }
        Assert.True((await BackupVerifier.VerifyAsync(store, fixture.Manifest, null, default)).Passed);
    }

    [Fact]
    public async Task One_byte_changed_in_the_manifest_is_detected()
    {
        using var copy = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(copy);
        var path = Path.Combine(copy.Path, fixture.Manifest.Name, BackupManifest.FileName);
        var text = await File.ReadAllTextAsync(path);
        // A row count changed by one digit: still valid JSON, still a plausible manifest.
        await File.WriteAllTextAsync(path, text.Replace("\"rows\": 2000", "\"rows\": 2001"));

        var e = await Assert.ThrowsAsync<RecoveryException>(() => new BackupCatalog(store).ResolveAsync(fixture.Manifest.Name, default));
        Assert.Contains("manifest.json is damaged", e.Message);
    }

    [Fact]
    public async Task A_truncated_part_is_detected_and_the_restore_refused_before_the_target_exists()
    {
        using var copy = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(copy);
        var part = fixture.Manifest.Parts.First(p => p.Kind == BackupPart.TableData);
        var path = Path.Combine(copy.Path, fixture.Manifest.Name, part.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^10]);

        var report = await BackupVerifier.VerifyAsync(store, fixture.Manifest, null, default);
        Assert.Contains($"part {part.Path} is truncated", report.Problem);

        var target = fixture.NewTarget();
        var e = await Assert.ThrowsAsync<RecoveryException>(() => Restore.RestoreAsync(store, "latest", target, new RestoreOptions(), default));
        Assert.Contains(part.Path, e.Message);
        Assert.Contains("nothing was written", e.Message);
        var database = new Npgsql.NpgsqlConnectionStringBuilder(target).Database;
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.Primary, $"SELECT count(*) FROM pg_database WHERE datname = '{database}'"));
    }

    [Fact]
    public async Task An_interrupted_backup_never_appears_in_the_catalog()
    {
        using var directory = new TemporaryDirectory();
        var writes = 0;
        // The third write fails, as a full disk would: some parts are stored, the manifest never is.
        var store = new InterceptingStore(new DirectoryStore(directory.Path), (_, _) =>
            Interlocked.Increment(ref writes) == 3 ? throw new IOException("disk full (simulated)") : Task.CompletedTask);

        await Assert.ThrowsAsync<IOException>(() => new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(fixture.Standby, store, new BackupOptions(Parallelism: 1), default));

        var catalog = new BackupCatalog(store);
        Assert.Empty(await catalog.ListAsync(default));
        var incomplete = Assert.Single(await catalog.IncompleteAsync(default));
        var e = await Assert.ThrowsAsync<RecoveryException>(() => catalog.ResolveAsync(incomplete.Name, default));
        Assert.Contains("is incomplete", e.Message);
        await Assert.ThrowsAsync<RecoveryException>(() => catalog.LatestAsync(default));
    }

    [Theory]
    [InlineData("parts/../../../../tmp/escaped")]
    [InlineData("/etc/passwd")]
    [InlineData("../other_backup/parts/x")]
    [InlineData("manifest.json")]
    public async Task A_manifest_entry_that_would_leave_the_backup_is_rejected(string path)
    {
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);
        var table = fixture.Manifest.Tables[0];
        var hostile = fixture.Manifest with
        {
            Tables = [table with { Part = path }, .. fixture.Manifest.Tables.Skip(1)],
            Parts = [.. fixture.Manifest.Parts.Where(p => p.Path != table.Part), fixture.Manifest.Part(table.Part!) with { Path = path }],
        };
        await store.WriteAllBytesAsync($"{hostile.Name}/{BackupManifest.FileName}", BackupManifestFile.Serialize(hostile), default);

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Restore.RestoreAsync(store, hostile.Name, fixture.NewTarget(), new RestoreOptions(), default));

        Assert.Contains("unsafe path", e.Message);
        Assert.False(File.Exists("/tmp/escaped"));
    }

    [Fact]
    public async Task A_restore_whose_tables_do_not_match_the_manifest_is_rolled_back()
    {
        using var directory = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(directory);
        var table = fixture.Manifest.Tables.Single(t => t.DisplayName == "media.comments");
        var wrong = fixture.Manifest with { Tables = fixture.Manifest.Tables.Select(t => t == table ? t with { Fingerprint = "h64sum:42" } : t).ToList() };
        await store.WriteAllBytesAsync($"{wrong.Name}/{BackupManifest.FileName}", BackupManifestFile.Serialize(wrong), default);
        var target = fixture.NewTarget();

        var result = await Restore.RestoreAsync(store, wrong.Name, target, new RestoreOptions(), default);

        Assert.False(result.Passed);
        Assert.Equal("media.comments", Assert.Single(result.Tables, t => !t.Passed).Table);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"));
    }

    [Fact]
    public async Task A_target_older_than_the_backups_server_is_refused_before_anything_is_written()
    {
        using var directory = new TemporaryDirectory();
        var store = fixture.CopyOfBackup(directory);
        var future = fixture.Manifest with { Source = fixture.Manifest.Source with { ServerVersion = "99.1", ServerVersionNumber = 990001 } };
        await store.WriteAllBytesAsync($"{future.Name}/{BackupManifest.FileName}", BackupManifestFile.Serialize(future), default);
        var target = fixture.NewTarget();

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Restore.RestoreAsync(store, future.Name, target, new RestoreOptions(), default));

        Assert.Contains("older than the backup's 99.1; restore into PostgreSQL 99 or newer", e.Message);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"));
    }
}
