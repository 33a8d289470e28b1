using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Cache;

/// <summary>
/// A real Redis primary and its replica on free loopback ports in a directory of their own, for
/// the cache tests that need no database: started once per collection, stopped and removed after.
/// </summary>
public sealed class RedisPair : IAsyncLifetime
{
    readonly TemporaryDirectory directory = new();

    public RedisServer Primary { get; private set; } = null!;
    public RedisServer Replica { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Primary = new RedisServer(directory.Combine("primary"), FreePort.Pick(), directory.Combine("primary.log"));
        Replica = new RedisServer(directory.Combine("replica"), FreePort.Pick(), directory.Combine("replica.log"));
        await Primary.WriteConfigAsync(null, snapshots: false, default);
        await Replica.WriteConfigAsync(Primary.Endpoint, snapshots: false, default);
        await Primary.StartAsync(default);
        await Replica.StartAsync(default);
        await LocalCache.WaitForSyncAsync(Replica.Endpoint, default);
    }

    public async Task<object?> CallAsync(params object[] command)
    {
        await using var connection = await RespConnection.OpenAsync(Primary.Endpoint, default);
        return await connection.CallAsync(default, command);
    }

    public async Task<CacheContent> ContentAsync(CacheEndpoint endpoint)
    {
        await using var connection = await RespConnection.OpenAsync(endpoint, default);
        return await CacheContent.ReadAsync(connection, default);
    }

    /// <summary>Waits until the replica has applied everything the primary has written so far.</summary>
    public async Task InSyncAsync()
    {
        await using var primary = await RespConnection.OpenAsync(Primary.Endpoint, default);
        var offset = long.Parse((await primary.InfoAsync("replication", default))["master_repl_offset"]);
        await using var replica = await RespConnection.OpenAsync(Replica.Endpoint, default);
        await Sql.EventuallyAsync(async () => long.Parse((await replica.InfoAsync("replication", default)).GetValueOrDefault("slave_repl_offset", "0")) >= offset, "the Redis replica catching up");
    }

    public async Task DisposeAsync()
    {
        await Replica.StopAsync(default, save: false);
        await Primary.StopAsync(default, save: false);
        directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisPair>
{
    public const string Name = "redis";
}
