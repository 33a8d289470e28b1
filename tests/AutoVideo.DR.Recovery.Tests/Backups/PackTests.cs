using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>Small tables share packs: one part for many tables, split again by their slices on restore.</summary>
[Collection(BackupsCollection.Name)]
public sealed class PackTests(BackupsFixture fixture)
{
    static BackupRestore Restore => new(NullLogger<BackupRestore>.Instance);

    /// <summary>Every table's rows, in order, as one text: equal texts, equal data.</summary>
    const string Rows = "SELECT string_agg(format('%s %s %s', tableoid::regclass, id, note), E'\\n' ORDER BY tableoid::regclass::text, id) FROM public.t";

    [Fact]
    public async Task Many_small_tables_go_into_one_pack_per_worker_and_restore_identically()
    {
        var source = new NpgsqlConnectionStringBuilder(fixture.Primary) { Database = "packs_" + Guid.NewGuid().ToString("N")[..8] }.ConnectionString;
        await Sql.ExecuteAsync(fixture.Primary, $"CREATE DATABASE {new NpgsqlConnectionStringBuilder(source).Database}");
        // 60 tables of 1 to 60 rows, children of one parent so that one query reads them all; one empty.
        await Sql.ExecuteAsync(source, """
            CREATE TABLE public.t (id int, note text);
            DO $$ BEGIN FOR i IN 1..60 LOOP
              EXECUTE format('CREATE TABLE public.t%s () INHERITS (public.t); INSERT INTO public.t%s SELECT g, md5(g::text) || E''\t\\\n'' FROM generate_series(1, %s) g', i, i, CASE WHEN i = 7 THEN 0 ELSE i END);
            END LOOP; END $$
            """);
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);

        var manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(source, store, new BackupOptions(Parallelism: 2), default);

        var packs = manifest.Tables.Where(t => t.Slice is not null).GroupBy(t => t.Part).ToList();
        Assert.Equal(2, packs.Count);
        Assert.Equal(61, packs.Sum(p => p.Count()));
        Assert.Equal(2, manifest.Parts.Count(p => p.Kind == BackupPart.TableData));
        Assert.All(packs, p => Assert.Equal(0L, p.Min(t => t.Slice!.Offset)));
        Assert.Equal(0L, manifest.Tables.Single(t => t.Name == "t7").Slice!.Length);

        var target = fixture.NewTarget();
        var result = await Restore.RestoreAsync(store, manifest.Name, target, new RestoreOptions(Parallelism: 2), default);

        Assert.True(result.Passed);
        Assert.Equal(61, result.Tables.Count(t => t.Table.StartsWith("public.t", StringComparison.Ordinal)));
        Assert.Equal(await Sql.ScalarAsync<string>(source, Rows), await Sql.ScalarAsync<string>(target, Rows));
        Assert.Equal(1823L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM public.t"));
        // Each packed table was loaded in its own transaction that truncated it: frozen, every page all-visible.
        Assert.Equal("", await Sql.ScalarAsync<string>(target, "ANALYZE; " + StagedRestoreTests.NotAllVisible));
    }

    [Fact]
    public async Task A_pack_split_at_the_wrong_byte_is_refused_and_the_target_keeps_its_data()
    {
        using var directory = new TemporaryDirectory();
        var (store, manifest, _) = await CopyWithMovedSliceAsync(directory, (first, second) =>
            (first with { Length = first.Length + 3 }, second with { Offset = second.Offset + 3, Length = second.Length - 3 }));
        var target = await RestoredTargetAsync();
        var before = await Sql.ScalarAsync<string>(target, RoundTripTests.Content);

        var outcome = await Record.ExceptionAsync(async () => Assert.False((await Restore.RestoreAsync(store, manifest.Name, target, new RestoreOptions(Force: true), default)).Passed));

        Assert.True(outcome is null or RecoveryException, outcome?.ToString());
        Assert.Equal(before, await Sql.ScalarAsync<string>(target, RoundTripTests.Content));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, StagedRestoreTests.StagingLeft));
    }

    [Fact]
    public async Task A_pack_longer_than_its_slices_is_refused_as_damaged()
    {
        using var directory = new TemporaryDirectory();
        var (store, manifest, pack) = await CopyWithMovedSliceAsync(directory, (first, second) => (first, second with { Length = second.Length - 1 }));
        var target = fixture.NewTarget();

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Restore.RestoreAsync(store, manifest.Name, target, new RestoreOptions(), default));

        Assert.Contains($"part {pack} is damaged (it holds more than its tables' slices)", e.Message);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, StagedRestoreTests.StagingLeft));
    }

    async Task<string> RestoredTargetAsync()
    {
        var target = fixture.NewTarget();
        Assert.True((await Restore.RestoreAsync(fixture.Store, fixture.Manifest.Name, target, new RestoreOptions(), default)).Passed);
        return target;
    }

    /// <summary>A copy of the fixture's backup whose manifest (sealed again) moves the boundary between the last two slices of a pack.</summary>
    async Task<(DirectoryStore Store, BackupManifest Manifest, string Pack)> CopyWithMovedSliceAsync(TemporaryDirectory directory, Func<PartSlice, PartSlice, (PartSlice, PartSlice)> move)
    {
        var store = fixture.CopyOfBackup(directory);
        var (pack, first, second) = fixture.Manifest.Tables.Where(t => t.Slice is not null).GroupBy(t => t.Part!)
            .Select(g => g.OrderBy(t => t.Slice!.Offset).ToList())
            .Select(slices => (slices[0].Part!, slices[^2], slices[^1]))
            .First(s => s.Item2.Slice!.Length > 3 && s.Item3.Slice!.Length > 3);
        var (a, b) = move(first.Slice!, second.Slice!);
        var moved = fixture.Manifest with
        {
            Tables = fixture.Manifest.Tables.Select(t => t == first ? t with { Slice = a } : t == second ? t with { Slice = b } : t).ToList(),
        };
        await store.WriteAllBytesAsync($"{moved.Name}/{BackupManifest.FileName}", BackupManifestFile.Serialize(moved), default);
        return (store, moved, pack);
    }
}
