using System.Text.Json;
using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Tests.Cache;

public sealed class LocalCacheTests
{
    [Fact]
    public async Task A_killed_redis_primary_is_a_major_disaster_and_promoting_its_replica_fences_it_and_ends_the_disaster()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var nodes = environment.State.Caches!;
        var primary = LocalCache.Server(nodes.Single(n => n.Role == NodeRole.Primary));
        var replica = LocalCache.Server(nodes.Single(n => n.Role == NodeRole.Standby));
        await using (var connection = await RespConnection.OpenAsync(primary.Endpoint, default))
            await connection.CallAsync(default, "SET", "job:1", "queued");
        await LocalCache.WaitForSyncAsync(replica.Endpoint, default);

        Assert.NotNull(primary.Kill()); // the drill's kill-redis
        var killed = await CliRunner.RunAsync("assess", "--workdir", environment.WorkDirectory, "--json");
        using (var json = JsonDocument.Parse(killed.Out))
        {
            Assert.Equal("major", json.RootElement.GetProperty("level").GetString());
            Assert.Contains(json.RootElement.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("cache-a is down (Redis"));
        }

        var promoted = await LocalCache.PromoteReplicaAsync(environment.WorkDirectory, default);

        Assert.Equal(replica.Endpoint, promoted);
        await using (var connection = await RespConnection.OpenAsync(promoted, default))
        {
            Assert.Equal("queued", await connection.CallTextAsync(default, "GET", "job:1"));
            Assert.Equal("OK", await connection.CallTextAsync(default, "SET", "job:1", "rendering"));
        }
        Assert.Equal([NodeRole.Fenced, NodeRole.Primary], environment.Current.Caches!.Select(c => c.Role));
        Assert.Contains($"replicaof 127.0.0.1 {promoted.Port}", await File.ReadAllTextAsync(primary.ConfigFile));
        var after = await CliRunner.RunAsync("assess", "--workdir", environment.WorkDirectory);
        Assert.Contains("level: none", after.Out);
    }
}
