using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Tests.Cache;

[Collection(RedisCollection.Name)]
public sealed class CacheBackupTests(RedisPair redis) : IDisposable
{
    readonly TemporaryDirectory work = new();

    [Fact]
    public async Task An_rdb_taken_from_the_replica_holds_exactly_what_the_primary_holds_every_type_and_database()
    {
        await FillAsync("rdb");
        await redis.InSyncAsync();
        Directory.CreateDirectory(work.Path);
        var rdb = work.Combine("dump.rdb");

        await RdbFile.TakeAsync(redis.Replica.Endpoint, rdb, default);
        var fromFile = await RdbFile.ReadAsync(rdb, "the test RDB", default);
        var live = await redis.ContentAsync(redis.Primary.Endpoint);

        Assert.Equal(live, fromFile);
        Assert.True(fromFile.Keys >= 8, $"only {fromFile.Keys} keys");
        Assert.True(fromFile.VolatileKeys >= 1);
    }

    [Fact]
    public async Task The_digest_changes_with_any_value_and_ignores_the_order_values_were_written_in()
    {
        await using var connection = await RespConnection.OpenAsync(redis.Primary.Endpoint, default);
        await connection.CallAsync(default, "SELECT", 7);
        await connection.CallAsync(default, "FLUSHDB");
        await connection.CallAsync(default, "HSET", "h", "a", "1", "b", "2", "c", "3");
        await connection.CallAsync(default, "SADD", "s", "x", "y", "z");
        var first = await CacheContent.ReadAsync(connection, default);

        await connection.CallAsync(default, "SELECT", 7);
        await connection.CallAsync(default, "FLUSHDB");
        await connection.CallAsync(default, "SADD", "s", "z", "y", "x");
        await connection.CallAsync(default, "HSET", "h", "c", "3", "b", "2", "a", "1");
        var reordered = await CacheContent.ReadAsync(connection, default);

        await connection.CallAsync(default, "SELECT", 7);
        await connection.CallAsync(default, "HSET", "h", "b", "two");
        var changed = await CacheContent.ReadAsync(connection, default);
        await connection.CallAsync(default, "SELECT", 7);
        await connection.CallAsync(default, "FLUSHDB");

        Assert.Equal(first, reordered);
        Assert.NotEqual(first.Digest, changed.Digest);
        Assert.NotNull(first.Mismatch(changed));
    }

    [Fact]
    public async Task A_damaged_rdb_is_refused_in_one_line()
    {
        await FillAsync("damaged");
        Directory.CreateDirectory(work.Path);
        var rdb = work.Combine("dump.rdb");
        await RdbFile.TakeAsync(redis.Replica.Endpoint, rdb, default);
        var bytes = await File.ReadAllBytesAsync(rdb);
        // Cut off the end (keys, EOF marker and checksum): the short read Redis refuses to load.
        await File.WriteAllBytesAsync(rdb, bytes[..(bytes.Length / 2)]);

        var e = await Assert.ThrowsAsync<RecoveryException>(() => RdbFile.ReadAsync(rdb, "the test RDB", default));

        Assert.StartsWith("the test RDB is damaged: Redis cannot load it", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task An_unreachable_source_fails_in_one_line_naming_it()
    {
        Directory.CreateDirectory(work.Path);
        var nowhere = new CacheEndpoint("127.0.0.1", Postgres.FreePort.Pick());
        var e = await Assert.ThrowsAsync<RecoveryException>(() => RdbFile.TakeAsync(nowhere, work.Combine("x.rdb"), default));
        Assert.Contains($"taking an RDB from Redis at {nowhere} failed", e.Message);
    }

    async Task FillAsync(string prefix)
    {
        await redis.CallAsync("SET", $"{prefix}:string", "value");
        await redis.CallAsync("HSET", $"{prefix}:hash", "status", "rendering", "frames", "120");
        await redis.CallAsync("RPUSH", $"{prefix}:list", "a", "b", "c");
        await redis.CallAsync("SADD", $"{prefix}:set", "u1", "u2");
        await redis.CallAsync("ZADD", $"{prefix}:zset", "1", "low", "2.5", "high");
        await redis.CallAsync("XADD", $"{prefix}:stream", "*", "event", "render-done");
        await redis.CallAsync("SET", $"{prefix}:session", "token", "EX", "3600");
        await using var connection = await RespConnection.OpenAsync(redis.Primary.Endpoint, default);
        await connection.CallAsync(default, "SELECT", 3);
        await connection.CallAsync(default, "SET", $"{prefix}:other-db", "x");
    }

    public void Dispose() => work.Dispose();
}
