using System.Text.Json;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// The staged restore: big tables split into page ranges on both sides, parallel workers that load
/// into schemas nobody else sees, one swap, and nothing swapped in when any part fails.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class StagedRestoreTests(BackupsFixture fixture)
{
    static BackupRestore Restore => new(NullLogger<BackupRestore>.Instance);
    static BackupWriter Writer => new(NullLogger<BackupWriter>.Instance);

    internal const string StagingLeft = $"SELECT count(*) FROM pg_namespace WHERE nspname LIKE '{BackupRestore.StagingPrefix}%'";

    /// <summary>Every constraint with its definition and the index behind it, and every index's definition.</summary>
    const string Keys = """
        SELECT (SELECT string_agg(key, E'\n' ORDER BY key) FROM (
                  SELECT format('%s.%s %s: %s [%s]', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid), k.conindid::regclass) AS key
                  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname IN ('public', 'media')) keys)
            || E'\n' || (SELECT string_agg(indexdef, E'\n' ORDER BY indexdef) FROM pg_indexes WHERE schemaname IN ('public', 'media'))
        """;

    [Fact]
    public async Task A_table_split_into_ranges_restores_identically_with_the_fingerprint_of_the_whole()
    {
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);

        // 16 KiB ranges: every table of more than two pages is split.
        var manifest = await Writer.BackupAsync(fixture.Standby, store, new BackupOptions(Parallelism: 3, RangeBytes: 16 << 10), default);

        var videos = manifest.Tables.Single(t => t.DisplayName == "media.videos");
        Assert.Null(videos.Part);
        Assert.True(videos.Ranges!.Count > 3, $"{videos.Ranges.Count} ranges");
        Assert.Equal(videos.Rows, videos.Ranges.Sum(r => r.Rows));
        // Same data, other split: the same rows and fingerprint as the fixture's one-part backup.
        foreach (var table in manifest.Tables)
        {
            var whole = fixture.Manifest.Tables.Single(t => t.DisplayName == table.DisplayName);
            Assert.Equal((whole.Rows, whole.Fingerprint), (table.Rows, table.Fingerprint));
        }
        var target = fixture.NewTarget();
        var result = await Restore.RestoreAsync(store, manifest.Name, target, new RestoreOptions(Parallelism: 3), default);

        Assert.True(result.Passed, result.FailureMessage);
        Assert.Equal(await Sql.ScalarAsync<string>(fixture.Primary, RoundTripTests.Content), await Sql.ScalarAsync<string>(target, RoundTripTests.Content));
        // Keys built as unique indexes beside the read-back, then made keys: the same keys on the same indexes.
        var keys = await Sql.ScalarAsync<string>(target, Keys);
        Assert.Contains("public.events_2025 events_2025_pkey: PRIMARY KEY (id, at) [events_2025_pkey]", keys);
        Assert.Equal(await Sql.ScalarAsync<string>(fixture.Primary, Keys), keys);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, StagingLeft));
        Assert.Equal([TransferPhase.Check, TransferPhase.Load, TransferPhase.Verify, TransferPhase.Indexes, TransferPhase.Swap], result.Phases.Select(p => p.Phase));
        // Every table, the one of many ranges too, was written frozen: every page all-visible, so neither the
        // read-back nor the first reads after the restore write hint bits (and full-page images) to WAL.
        Assert.True(await Sql.ScalarAsync<int>(target, "ANALYZE; SELECT relpages FROM pg_class WHERE oid = 'media.videos'::regclass") > 3);
        Assert.Equal("", await Sql.ScalarAsync<string>(target, NotAllVisible));
    }

    /// <summary>Tables (ANALYZEd) with pages not all-visible in the visibility map, as "name visible/pages".</summary>
    internal const string NotAllVisible = """
        SELECT coalesce(string_agg(format('%s.%s %s/%s', n.nspname, c.relname, c.relallvisible, c.relpages), ', '), '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname IN ('public', 'media') AND c.relallvisible < c.relpages
        """;

    [Fact]
    public async Task A_failure_in_one_worker_leaves_nothing_swapped_in_and_a_rerun_converges()
    {
        var target = fixture.NewTarget();
        Assert.True((await Restore.RestoreAsync(fixture.Store, "latest", target, new RestoreOptions(), default)).Passed);
        await Sql.ScalarAsync<uint>(target, "DELETE FROM media.comments WHERE id > 10; SELECT lo_from_bytea(0, 'not in the backup')");
        var before = await Sql.ScalarAsync<string>(target, RoundTripTests.Content);
        using var directory = new TemporaryDirectory();
        var copy = fixture.CopyOfBackup(directory);
        var broken = fixture.Manifest.Tables.Single(t => t.DisplayName == "media.videos").Part!;
        var reads = 0;
        // The part reads whole during the check, then breaks half-way when a worker loads it.
        var store = new InterceptingStore(copy, (_, _) => Task.CompletedTask, (key, stream) =>
            key.EndsWith(broken, StringComparison.Ordinal) && Interlocked.Increment(ref reads) == 2 ? new BreakingStream(stream, 2000) : stream);

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Restore.RestoreAsync(store, "latest", target, new RestoreOptions(Force: true, Parallelism: 2), default));

        Assert.Contains(broken, e.Message);
        Assert.Equal(before, await Sql.ScalarAsync<string>(target, RoundTripTests.Content));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, StagingLeft));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM pg_largeobject_metadata WHERE lo_get(oid) = 'not in the backup'::bytea"));

        var rerun = await Restore.RestoreAsync(copy, "latest", target, new RestoreOptions(Force: true), default);
        Assert.True(rerun.Passed);
        Assert.Equal(await Sql.ScalarAsync<string>(fixture.Primary, RoundTripTests.Content), await Sql.ScalarAsync<string>(target, RoundTripTests.Content));
    }

    [Fact]
    public async Task A_failed_load_ends_the_large_objects_load_before_it_rolls_back()
    {
        var target = fixture.NewTarget();
        using var directory = new TemporaryDirectory();
        var copy = fixture.CopyOfBackup(directory);
        var broken = fixture.Manifest.Tables.Single(t => t.DisplayName == "media.videos").Part!;
        var objects = fixture.Manifest.LargeObjects.Part!;
        int brokenReads = 0, objectReads = 0;
        var objectsEnded = false;
        // The large objects' load (on the swap's connection) is held for 2 s while a worker's part breaks:
        // the restore fails with it still running. Rolling back under it once hung a restore for good.
        var store = new InterceptingStore(copy, (_, _) => Task.CompletedTask, (key, stream) =>
        {
            if (key.EndsWith(broken, StringComparison.Ordinal) && Interlocked.Increment(ref brokenReads) == 2) return new BreakingStream(stream, 2000);
            if (key.EndsWith(objects, StringComparison.Ordinal) && Interlocked.Increment(ref objectReads) == 2)
                return new HeldStream(stream, Task.Delay(TimeSpan.FromSeconds(2)), () => Volatile.Write(ref objectsEnded, true));
            return stream;
        });

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Restore.RestoreAsync(store, "latest", target, new RestoreOptions(Parallelism: 2), default).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(broken, e.Message);
        Assert.True(Volatile.Read(ref objectsEnded), "the restore ended while the large objects were still loading on its connection");
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, StagingLeft));
    }

    [Fact]
    public async Task Staging_schemas_a_crashed_restore_left_are_dropped_by_the_next()
    {
        var target = fixture.NewTarget();
        Assert.True((await Restore.RestoreAsync(fixture.Store, "latest", target, new RestoreOptions(), default)).Passed);
        await Sql.ScalarAsync<int>(target, $"CREATE SCHEMA {BackupRestore.StagingPrefix}0123456789abcdef_0; CREATE TABLE {BackupRestore.StagingPrefix}0123456789abcdef_0.t (id int); SELECT 1");

        Assert.True((await Restore.RestoreAsync(fixture.Store, "latest", target, new RestoreOptions(Force: true), default)).Passed);

        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, StagingLeft));
    }

    [Theory]
    [InlineData("gzip", 6)]
    [InlineData("lz4", 0)]
    [InlineData("none", 0)]
    public async Task Every_compression_round_trips(string algorithm, int level)
    {
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);
        var compression = PartCompression.Parse(algorithm, level);

        var manifest = await Writer.BackupAsync(fixture.Standby, store, new BackupOptions(Compression: compression), default);
        var reread = await new BackupCatalog(store).ReadManifestAsync(manifest.Name, default);
        var target = fixture.NewTarget();
        var result = await Restore.RestoreAsync(store, manifest.Name, target, new RestoreOptions(), default);

        Assert.Equal(compression, reread.PartCompression);
        Assert.All(manifest.Parts, p => Assert.EndsWith(compression.Extension == "" ? ".copy" : compression.Extension, p.Path.Replace(".sql", ".copy").Replace(".bin", ".copy")));
        Assert.True(result.Passed, result.FailureMessage);
        Assert.Equal(await Sql.ScalarAsync<string>(fixture.Primary, RoundTripTests.Content), await Sql.ScalarAsync<string>(target, RoundTripTests.Content));
    }

    [Fact]
    public async Task Unlogged_tables_and_their_sequences_are_listed_as_skipped_and_large_object_comments_come_back()
    {
        var source = fixture.NewTarget();
        await Sql.ScalarAsync<int>(new NpgsqlConnectionStringBuilder(source) { Database = "postgres" }.ConnectionString, $"CREATE DATABASE {new NpgsqlConnectionStringBuilder(source).Database}; SELECT 1");
        await Sql.ScalarAsync<int>(source, """
            CREATE TABLE kept (id int PRIMARY KEY, body text);
            INSERT INTO kept SELECT i, 'row ' || i FROM generate_series(1, 100) i;
            CREATE UNLOGGED TABLE scratch (id serial PRIMARY KEY, body text);
            INSERT INTO scratch (body) SELECT 'cached ' || i FROM generate_series(1, 50) i;
            SELECT lo_from_bytea(4242, 'poster');
            COMMENT ON LARGE OBJECT 4242 IS 'poster of video 1, it''s \ fine';
            SELECT 1
            """);
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);
        var manifest = await Writer.BackupAsync(source, store, new BackupOptions(), default);

        Assert.Equal([("unlogged table", "public.scratch"), ("unlogged sequence", "public.scratch_id_seq")], manifest.SkippedObjects.Select(s => (s.Kind, s.Name)));
        Assert.Contains("owned by the unlogged table scratch", manifest.SkippedObjects[1].Reason);
        Assert.DoesNotContain(manifest.Tables, t => t.Name == "scratch");

        var target = fixture.NewTarget();
        var restore = await CliRunner.RunAsync("restore", "latest", "--store", directory.Path, "--target", target, "--metrics-file", directory.Combine("m.prom"));
        var json = await CliRunner.RunAsync("restore", "latest", "--store", directory.Path, "--target", target, "--force", "--json", "--metrics-file", directory.Combine("m.prom"));

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("not in the backup, so not verified: 1 unlogged table (public.scratch): unlogged", restore.Out);
        Assert.Contains("1 unlogged sequence (public.scratch_id_seq): unlogged (owned by", restore.Out);
        Assert.Contains("(large object comments)", restore.Out);
        Assert.Equal("poster of video 1, it's \\ fine", await Sql.ScalarAsync<string>(target, "SELECT obj_description(4242, 'pg_largeobject')"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM scratch"));
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(2, document.RootElement.GetProperty("skipped").GetArrayLength());
        Assert.Equal("public.scratch", document.RootElement.GetProperty("skipped")[0].GetProperty("name").GetString());
        Assert.Equal(3, document.RootElement.GetProperty("verified").GetInt32()); // kept, the large objects and their comments
    }

    /// <summary>A read that fails after <paramref name="limit"/> bytes, as a lost connection to a store would.</summary>
    sealed class BreakingStream(Stream inner, long limit) : Stream
    {
        long read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (read >= limit) throw new IOException("connection to the store lost (simulated)");
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, limit - read)]);
            read += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
