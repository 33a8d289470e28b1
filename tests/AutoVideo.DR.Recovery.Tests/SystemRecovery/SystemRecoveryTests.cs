
namespace AutoVideo.DR.Recovery.Tests.SystemRecovery;

[Collection(SystemCollection.Name)]
public sealed class SystemRecoveryTests(SystemFixture system)
{
    const string Refs = "--object-ref";

    async Task<string> SeedAsync(string tag)
    {
        await Sql.ExecuteAsync(system.Primary, $"""
            CREATE TABLE IF NOT EXISTS videos(id text PRIMARY KEY, source_key text, output_key text);
            INSERT INTO videos VALUES ('{tag}-1', 'u/{tag}-1.mp4', 'g/{tag}-1.mp4'), ('{tag}-2', 'u/{tag}-2.mp4', NULL);
            """);
        await system.S3.PutAsync(system.Bucket("uploads"), $"u/{tag}-1.mp4", "upload one");
        await system.S3.PutAsync(system.Bucket("uploads"), $"u/{tag}-2.mp4", "upload two");
        await system.S3.PutAsync(system.Bucket("generated"), $"g/{tag}-1.mp4", "rendered one");
        await system.RedisAsync("SET", $"session:{tag}", "alice");
        await system.RedisAsync("HSET", $"job:{tag}", "status", "done");
        var backup = await system.CliAsync("backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        return backup.Out.Split(':')[0];
    }

    [Fact]
    public async Task A_system_backup_lists_its_parts_and_restore_brings_back_database_redis_and_media_with_each_parts_recovery_time_and_data_loss()
    {
        var name = await SeedAsync("all");
        var list = await system.CliAsync("backups", "list", "--json");
        var entry = SystemFixture.Json(list).EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        Assert.Equal(["database", "cache", "media"], entry.GetProperty("parts").EnumerateArray().Select(p => p.GetString()));

        // Everything changes after the backup.
        await Sql.ExecuteAsync(system.Primary, "DELETE FROM videos WHERE id = 'all-1'; INSERT INTO videos VALUES ('all-3', 'u/all-3.mp4', NULL)");
        await system.RedisAsync("SET", "session:all", "mallory");
        await system.RedisAsync("SET", "written:after", "1");
        await system.S3.PutAsync(system.Bucket("uploads"), "u/all-1.mp4", "overwritten");
        await system.S3.DeleteAsync(system.Bucket("generated"), "g/all-1.mp4");
        await system.S3.PutAsync(system.Bucket("uploads"), "u/all-3.mp4", "later upload");

        var restore = await system.CliAsync("restore", name, "--target", system.Primary, "--force", Refs, "videos.source_key=uploads", Refs, "videos.output_key=generated", "--json");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        var json = SystemFixture.Json(restore);
        var parts = json.GetProperty("parts").EnumerateArray().ToDictionary(p => p.GetProperty("part").GetString()!);
        Assert.Equal(["database", "cache", "media"], parts.Keys);
        foreach (var part in parts.Values)
        {
            Assert.True(part.GetProperty("recoveryTimeSeconds").GetDouble() > 0);
            Assert.True(part.GetProperty("dataLossSeconds").GetDouble() > 0);
        }
        Assert.Equal(0, json.GetProperty("dangling").GetInt32());
        // This test's three keys, and those of the other tests' rows in the same table.
        Assert.True(json.GetProperty("references").EnumerateArray().Sum(r => r.GetProperty("keys").GetInt32()) >= 3);

        Assert.Equal("all-1,all-2", await Sql.ScalarAsync<string>(system.Primary, "SELECT string_agg(id, ',' ORDER BY id) FROM videos WHERE id LIKE 'all-%'"));
        Assert.Equal("alice", await system.RedisAsync("GET", "session:all"));
        Assert.Equal("0", await system.RedisAsync("EXISTS", "written:after"));
        Assert.Equal("upload one", await system.S3.ReadAsync(system.Bucket("uploads"), "u/all-1.mp4"));
        Assert.Equal("rendered one", await system.S3.ReadAsync(system.Bucket("generated"), "g/all-1.mp4"));
        Assert.Null(await system.S3.ReadAsync(system.Bucket("uploads"), "u/all-3.mp4"));
    }

    [Fact]
    public async Task A_reference_to_an_object_that_is_not_there_is_counted_as_dangling_and_fails_the_restore()
    {
        var name = await SeedAsync("dangling");
        await Sql.ExecuteAsync(system.Primary, "DELETE FROM videos WHERE id LIKE 'dangling-%'");
        var backupWithMissing = await SeedMissingAsync();

        var restore = await system.CliAsync("restore", backupWithMissing, "--parts", "database", "--target", system.Primary, "--force", Refs, "videos.output_key=generated");
        // The other tests' backups must not carry this row.
        await Sql.ExecuteAsync(system.Primary, "DELETE FROM videos WHERE id = 'missing-1'");

        Assert.Equal(1, restore.ExitCode);
        Assert.Contains("dangling references: 1 of", restore.Out);
        Assert.Contains("g/missing.mp4", restore.Out);
        Assert.NotEqual(name, backupWithMissing);
    }

    async Task<string> SeedMissingAsync()
    {
        await Sql.ExecuteAsync(system.Primary, "CREATE TABLE IF NOT EXISTS videos(id text PRIMARY KEY, source_key text, output_key text); INSERT INTO videos VALUES ('missing-1', NULL, 'g/missing.mp4')");
        var backup = await system.CliAsync("backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        return backup.Out.Split(':')[0];
    }

    [Fact]
    public async Task Restoring_only_the_cache_part_leaves_the_database_and_the_buckets_alone()
    {
        var name = await SeedAsync("cacheonly");
        await Sql.ExecuteAsync(system.Primary, "INSERT INTO videos VALUES ('cacheonly-after', NULL, NULL)");
        await system.RedisAsync("SET", "session:cacheonly", "changed");

        var restore = await system.CliAsync("restore", name, "--parts", "cache");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("cache ", restore.Out);
        Assert.DoesNotContain("database ", restore.Out);
        Assert.Equal("alice", await system.RedisAsync("GET", "session:cacheonly"));
        Assert.Equal(1, await Sql.ScalarAsync<long>(system.Primary, "SELECT count(*) FROM videos WHERE id = 'cacheonly-after'"));
    }

    [Fact]
    public async Task A_damaged_rdb_in_a_backup_is_refused_before_anything_is_restored()
    {
        var name = await SeedAsync("damaged");
        using var copy = new TemporaryDirectory();
        var source = Path.Combine(system.State.BackupDirectory, name);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(copy.Path, name, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        var rdb = Path.Combine(copy.Path, name, "parts", "cache", "dump.rdb.gz");
        var bytes = await File.ReadAllBytesAsync(rdb);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(rdb, bytes);
        await Sql.ExecuteAsync(system.Primary, "INSERT INTO videos VALUES ('damaged-after', NULL, NULL)");
        await system.RedisAsync("SET", "session:damaged", "changed");

        var restore = await system.CliAsync("restore", name, "--store", copy.Path, "--target", system.Primary, "--force");

        Assert.Equal(1, restore.ExitCode);
        var error = Assert.Single(restore.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error:"));
        Assert.Contains($"backup {name}: part parts/cache/dump.rdb.gz is damaged", error);
        Assert.Contains("nothing was restored", error);
        Assert.Equal(1, await Sql.ScalarAsync<long>(system.Primary, "SELECT count(*) FROM videos WHERE id = 'damaged-after'"));
        Assert.Equal("changed", await system.RedisAsync("GET", "session:damaged"));
    }

    [Fact]
    public async Task A_replica_cut_off_from_its_primary_is_not_backed_up_the_primary_is()
    {
        var replica = Recovery.Cache.LocalCache.Server(system.State.Caches!.Single(c => c.Role == Environments.NodeRole.Standby));
        await system.RedisAsync("SET", "cutoff:key", "on the primary");
        async Task<string?> OnReplica(params object[] command)
        {
            await using var connection = await Recovery.Cache.RespConnection.OpenAsync(replica.Endpoint, default);
            return Recovery.Cache.RespConnection.AsText(await connection.CallAsync(default, command));
        }
        // The replica follows a port nothing listens on: its link is down and its data goes stale.
        await OnReplica("REPLICAOF", "127.0.0.1", Recovery.Postgres.FreePort.Pick().ToString());
        try
        {
            var backup = await system.CliAsync("backup", "--json");
            Assert.True(backup.ExitCode == 0, backup.ToString());
            var cache = SystemFixture.Json(backup).GetProperty("cache");
            Assert.Equal(system.CachePrimary.Endpoint.ToString(), cache.GetProperty("source").GetString());
            Assert.Equal("primary", cache.GetProperty("role").GetString());
        }
        finally
        {
            await OnReplica("REPLICAOF", system.CachePrimary.Endpoint.Host, system.CachePrimary.Endpoint.Port.ToString());
            await Recovery.Cache.LocalCache.WaitForSyncAsync(replica.Endpoint, default);
        }
    }

    [Fact]
    public async Task Health_shows_both_redis_nodes_with_their_roles_and_every_media_bucket()
    {
        var health = await system.CliAsync("health", "--json");

        Assert.True(health.ExitCode == 0, health.ToString());
        var components = SystemFixture.Json(health).GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal("primary", components["cache-a"].GetProperty("expectedRole").GetString());
        Assert.Equal("standby", components["cache-b"].GetProperty("expectedRole").GetString());
        Assert.Contains("link up", components["cache-b"].GetProperty("detail").GetString());
        Assert.All(["media-uploads", "media-models", "media-generated"], name => Assert.Equal("healthy", components[name].GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Bad_input_is_one_line_naming_what_is_accepted()
    {
        var unknown = await system.CliAsync("restore", "objects", "--bucket", "nope", "--as-of", "2020-01-01T00:00:00Z");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown bucket 'nope'; accepted: one of the environment's media buckets", unknown.Error);

        var future = await system.CliAsync("restore", "objects", "--bucket", system.Bucket("uploads"), "--as-of", "2999-01-01T00:00:00Z");
        Assert.Contains("is in the future", future.Error);

        var neither = await system.CliAsync("restore", "objects", "--bucket", system.Bucket("uploads"));
        Assert.Contains("name exactly one recovery point", neither.Error);

        var parts = await system.CliAsync("restore", "--parts", "database,redis");
        Assert.Equal(2, parts.ExitCode);
        Assert.Contains("--parts 'database,redis' is not understood; accepted: all, or a comma-separated list of database, cache, media", parts.Error);

        var noDatabase = await system.CliAsync("backup", "--parts", "cache");
        Assert.Contains("--parts must include database", noDatabase.Error);
        foreach (var result in new[] { unknown, future, neither, parts, noDatabase })
            Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error:"));
    }
}
