using System.Diagnostics;
using System.Text;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using AutoVideo.DR.Recovery.Tests.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Backups;

[Collection(BackupsCollection.Name)]
public sealed class RoundTripTests(BackupsFixture fixture, MotoS3Fixture moto)
{
    static BackupRestore Restore => new(NullLogger<BackupRestore>.Instance);

    /// <summary>Every row of every table as text, in a stable order: an independent check beside the fingerprint.</summary>
    public const string Content = """
        SELECT string_agg(format('%s=%s', tbl, md5(rows)), ';' ORDER BY tbl) FROM (
          SELECT 'videos' tbl, string_agg(v::text, '|' ORDER BY v.id) rows FROM media.videos v UNION ALL
          SELECT 'comments', string_agg(c::text, '|' ORDER BY c.id) FROM media.comments c UNION ALL
          SELECT 'events', string_agg(e::text, '|' ORDER BY e.id) FROM events e UNION ALL
          SELECT 'moods', string_agg(m::text, '|' ORDER BY m::text) FROM media.moods_ranked m UNION ALL
          SELECT 'lo', string_agg(md5(lo_get(oid)), '|' ORDER BY oid) FROM pg_largeobject_metadata) t
        """;

    [Fact]
    public async Task The_manifest_records_version_snapshot_point_parts_and_every_table()
    {
        var m = fixture.Manifest;
        Assert.Equal(NodeRole.Standby, m.Source.Role);
        Assert.InRange(m.Source.ServerVersionNumber, 150000, 159999);
        Assert.Matches(@"^[0-9A-F]+/[0-9A-F]+$", m.Snapshot.Lsn);
        // Taken on the standby: the data is as of the last commit it replayed, not of the clock.
        Assert.Equal(SnapshotTimeBasis.LastReplayedCommit, m.Snapshot.Basis);
        Assert.True(m.Snapshot.Time <= m.StartedAt, $"{m.Snapshot.Time:O} after {m.StartedAt:O}");
        Assert.Equal(BackupManifest.CurrentFormat, m.FormatVersion);
        Assert.Equal(PartCompression.Default, m.PartCompression);
        Assert.Empty(m.SkippedObjects);
        Assert.StartsWith(BackupName.Prefix, m.Name);
        Assert.All(m.Parts, p => Assert.Matches("^[0-9a-f]{64}$", p.Sha256));
        Assert.Equal(2000, m.Tables.Single(t => t.DisplayName == "media.videos").Rows);
        Assert.DoesNotContain("title_length", m.Tables.Single(t => t.DisplayName == "media.videos").Columns);
        Assert.Equal(6000, m.Tables.Where(t => t.Name.StartsWith("events_")).Sum(t => t.Rows));
        Assert.DoesNotContain(m.Tables, t => t.Name == "events"); // the partitioned parent holds no rows itself
        Assert.Equal(1, m.LargeObjects.Count);
        Assert.Contains(m.Sequences, s => s.Name == "invoice_numbers" && s.LastValue == 4242);
        Assert.Equal(m.Name, (await new BackupCatalog(fixture.Store).LatestAsync(default)).Name);
    }

    [Fact]
    public async Task A_backup_from_the_standby_restores_identical_with_every_table_verified()
    {
        var target = fixture.NewTarget();

        var result = await Restore.RestoreAsync(fixture.Store, fixture.Manifest.Name, target, new RestoreOptions(), default);

        Assert.True(result.Passed);
        Assert.Equal(fixture.Manifest.Tables.Count + 1, result.Tables.Count);
        Assert.All(result.Tables, t => Assert.True(t.Passed, $"{t.Table}: {t.ActualRows} rows {t.ActualFingerprint}, expected {t.ExpectedRows} {t.ExpectedFingerprint}"));
        Assert.Equal(await Sql.ScalarAsync<string>(fixture.Primary, Content), await Sql.ScalarAsync<string>(target, Content));
        // Identity, serial and plain sequences continue after the restored rows; generated columns and triggers work.
        Assert.True(await Sql.ScalarAsync<long>(target, "INSERT INTO media.videos (title) VALUES ('after restore') RETURNING id") > 2000);
        Assert.Equal(13, await Sql.ScalarAsync<int>(target, "SELECT title_length FROM media.videos WHERE title = 'after restore'"));
        Assert.True(await Sql.ScalarAsync<int>(target, "INSERT INTO events (at, kind) VALUES ('2026-05-01', 'new') RETURNING id") > 6000);
        Assert.Equal(4243, await Sql.ScalarAsync<long>(target, "SELECT nextval('invoice_numbers')"));
        Assert.Equal("comment 1 (edited)", await Sql.ScalarAsync<string>(target, "UPDATE media.comments SET body = body WHERE id = 1 RETURNING body"));
        Assert.Equal(2, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"));
    }

    [Fact]
    public async Task A_backup_from_the_primary_round_trips_through_s3()
    {
        using var store = moto.Store("roundtrip-" + Guid.NewGuid().ToString("N")[..8]);
        var manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(fixture.Primary, store, new BackupOptions(Parallelism: 3), default);
        Assert.Equal(NodeRole.Primary, manifest.Source.Role);

        Assert.Equal(manifest.Name, (await new BackupCatalog(store).LatestAsync(default)).Name);
        Assert.True((await BackupVerifier.VerifyAsync(store, manifest, null, default)).Passed);
        var target = fixture.NewTarget();
        var result = await Restore.RestoreAsync(store, "latest", target, new RestoreOptions(), default);

        Assert.True(result.Passed);
        Assert.Equal(await Sql.ScalarAsync<string>(fixture.Primary, Content), await Sql.ScalarAsync<string>(target, Content));
    }

    /// <summary>
    /// The two schema parts come from one pg_dump archive, written out by pg_restore section by
    /// section: they must be the SQL pg_dump --section writes, and carry neither the source's owners
    /// nor its grants (roles belong to the cluster; pg_dump ignores --no-owner for an archive, so
    /// pg_restore must apply it).
    /// </summary>
    [Fact]
    public async Task The_schema_parts_are_pg_dumps_sections_without_the_sources_owners_or_grants()
    {
        var source = fixture.NewTarget();
        var database = new NpgsqlConnectionStringBuilder(source).Database!;
        await Sql.ExecuteAsync(fixture.Primary, $"CREATE DATABASE {database}");
        await Sql.ExecuteAsync(fixture.Primary, """
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schema_owner') THEN CREATE ROLE schema_owner; END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schema_reader') THEN CREATE ROLE schema_reader; END IF;
            END $$
            """);
        await Sql.ExecuteAsync(source, """
            CREATE TABLE owned (id int PRIMARY KEY, note text);
            CREATE INDEX owned_note ON owned (note);
            ALTER TABLE owned OWNER TO schema_owner;
            GRANT SELECT ON owned TO schema_reader;
            INSERT INTO owned VALUES (1, 'one')
            """);
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);

        var manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(source, store, new BackupOptions(), default);

        var preData = await SectionAsync(store, manifest, BackupPart.PreData);
        var postData = await SectionAsync(store, manifest, BackupPart.PostData);
        Assert.Contains("CREATE TABLE public.owned", preData);
        Assert.DoesNotContain("CREATE INDEX", preData);
        Assert.Contains("CREATE INDEX owned_note", postData);
        Assert.Contains("ADD CONSTRAINT owned_pkey PRIMARY KEY", postData);
        foreach (var script in new[] { preData, postData })
        {
            Assert.DoesNotContain("OWNER TO", script);
            Assert.DoesNotContain("GRANT ", script);
        }
        Assert.Equal(SchemaScript.AsSql(await PgDumpAsync(source, "pre-data")), SchemaScript.AsSql(preData));
        Assert.Equal(SchemaScript.AsSql(await PgDumpAsync(source, "post-data")), SchemaScript.AsSql(postData));
    }

    static async Task<string> SectionAsync(IBackupStore store, BackupManifest manifest, string section)
    {
        var part = manifest.PartOfKind(section);
        await using var input = manifest.PartCompression.Decompress(await store.OpenReadAsync($"{manifest.Name}/{part.Path}", default));
        using var reader = new StreamReader(input, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    static async Task<string> PgDumpAsync(string source, string section)
    {
        var info = new ProcessStartInfo(PostgresInstallation.Locate().Program("pg_dump"))
        {
            ArgumentList = { "--schema-only", $"--section={section}", "--no-owner", "--no-privileges" },
        };
        foreach (var setting in LibPqSession.Settings(source)) info.Environment[setting.EnvironmentVariable] = setting.Value;
        return (await ProcessRunner.RunAsync(info, default)).StandardOutput;
    }
}
