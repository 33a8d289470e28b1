using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Cache;

/// <summary>What a restore of an RDB into the local cache primary did.</summary>
public sealed record CacheRestoreResult(string Node, CacheEndpoint Endpoint, CacheContent Expected, CacheContent Restored, TimeSpan Duration);

/// <summary>
/// The local environment's Redis: a primary (cache-a) and its replica (cache-b) on loopback, each
/// in its own directory under the working directory, started and stopped with the databases.
/// Also the local side of the cache's recovery: restore an RDB into the primary, promote the
/// replica, kill a node (the drill's kill-redis).
/// </summary>
public static class LocalCache
{
    public static RedisServer Server(LocalCacheNodeState node) => new(node.Directory, node.Port, node.LogFile);

    /// <summary>Creates and starts a primary and a replica on free ports other than <paramref name="taken"/>; waits until the replica is in sync.</summary>
    public static Task<IReadOnlyList<LocalCacheNodeState>> CreateAsync(string workDirectory, IReadOnlyCollection<int> taken, CancellationToken ct) =>
        CreateAsync(Plan(workDirectory, taken), ct);

    /// <summary>
    /// The primary and replica a <see cref="CreateAsync(IReadOnlyList{LocalCacheNodeState}, CancellationToken)"/> will make: names, free ports
    /// other than <paramref name="taken"/>, directories. Nothing is written, so the caller can record them first.
    /// </summary>
    public static IReadOnlyList<LocalCacheNodeState> Plan(string workDirectory, IReadOnlyCollection<int> taken, ServerSetup setup = ServerSetup.Ready)
    {
        var used = new HashSet<int>(taken);
        LocalCacheNodeState Node(string name, NodeRole role)
        {
            var port = FreePort.PickOtherThan(used);
            used.Add(port);
            return new(name, port, Path.Combine(workDirectory, name), Path.Combine(workDirectory, "logs", name + ".log"), role, setup);
        }
        return [Node("cache-a", NodeRole.Primary), Node("cache-b", NodeRole.Standby)];
    }

    /// <summary>Configures and starts <paramref name="nodes"/> (as <see cref="Plan"/> made them); on failure stops them again.</summary>
    public static async Task<IReadOnlyList<LocalCacheNodeState>> CreateAsync(IReadOnlyList<LocalCacheNodeState> nodes, CancellationToken ct)
    {
        RedisServer.Program("redis-server");
        try
        {
            await ConfigureAsync(nodes, ct);
            await StartAsync(nodes, ct);
            return nodes;
        }
        catch
        {
            await StopAsync(nodes, CancellationToken.None, save: false);
            throw;
        }
    }

    static async Task ConfigureAsync(IReadOnlyList<LocalCacheNodeState> nodes, CancellationToken ct)
    {
        var primary = nodes.Single(n => n.Role == NodeRole.Primary);
        foreach (var node in nodes)
            await Server(node).WriteConfigAsync(node.Role == NodeRole.Primary ? null : new CacheEndpoint(RedisServer.Host, primary.Port), snapshots: true, ct);
    }

    /// <summary>Starts the primary, then the replicas, and waits until every replica's link to the primary is up.</summary>
    public static async Task StartAsync(IReadOnlyList<LocalCacheNodeState> nodes, CancellationToken ct)
    {
        foreach (var node in nodes.Where(n => n.Role != NodeRole.Fenced).OrderBy(n => n.Role)) await Server(node).StartAsync(ct);
        foreach (var replica in nodes.Where(n => n.Role == NodeRole.Standby)) await WaitForSyncAsync(Server(replica).Endpoint, ct);
    }

    /// <summary>Stops every node that runs (a final RDB snapshot unless <paramref name="save"/> is false); returns their names.</summary>
    public static async Task<IReadOnlyList<string>> StopAsync(IReadOnlyList<LocalCacheNodeState> nodes, CancellationToken ct, bool save = true)
    {
        var stopped = new List<string>();
        foreach (var node in nodes)
        {
            var server = Server(node);
            if (!server.IsRunning()) continue;
            await server.StopAsync(ct, save);
            stopped.Add(node.Name);
        }
        return stopped;
    }

    /// <summary>Whether the replica at <paramref name="replica"/> answers with its link to the primary up (false when it does not answer).</summary>
    public static async Task<bool> FollowsPrimaryAsync(CacheEndpoint replica, CancellationToken ct)
    {
        try
        {
            await using var connection = await RespConnection.OpenAsync(replica, ct);
            return (await connection.InfoAsync("replication", ct)).GetValueOrDefault("master_link_status") == "up";
        }
        catch (RecoveryException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until the replica at <paramref name="replica"/> has its link to the primary up, its initial
    /// sync done, and has received every write the primary had taken when the wait began (its offset
    /// reaches the primary's): a link that is up may still lag behind a write just acknowledged.
    /// </summary>
    public static async Task WaitForSyncAsync(CacheEndpoint replica, CancellationToken ct, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + limit;
        await using var connection = await RespConnection.OpenAsync(replica, ct);
        long? target = null;
        while (true)
        {
            var info = await connection.InfoAsync("replication", ct);
            if (info.GetValueOrDefault("master_link_status") == "up" && info.GetValueOrDefault("master_sync_in_progress") == "0")
            {
                if (target is null && info.GetValueOrDefault("master_host") is { } host && int.TryParse(info.GetValueOrDefault("master_port"), out var port))
                {
                    await using var primary = await RespConnection.OpenAsync(new CacheEndpoint(host, port), ct);
                    target = long.TryParse((await primary.InfoAsync("replication", ct)).GetValueOrDefault("master_repl_offset"), out var offset) ? offset : 0;
                }
                if (long.TryParse(info.GetValueOrDefault("slave_repl_offset"), out var received) && received >= (target ?? 0)) return;
            }
            if (DateTime.UtcNow > deadline)
                throw new RecoveryException($"the Redis replica at {replica} did not catch up with its primary within {limit.TotalSeconds:0} s (link {info.GetValueOrDefault("master_link_status") ?? "unknown"}, offset {info.GetValueOrDefault("slave_repl_offset") ?? "unknown"} of {target?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// Puts <paramref name="rdb"/> in place of the cache primary's data: checks that it loads and
    /// holds <paramref name="expected"/> on a scratch server first (nothing is touched before), then
    /// stops the primary without saving, swaps the file, starts it and compares again. On any
    /// failure the previous file comes back and the node is started on it: never half a restore.
    /// The replica resynchronises from the restored primary by itself.
    /// </summary>
    public static async Task<CacheRestoreResult> RestoreAsync(string workDirectory, string rdb, CacheContent expected, CancellationToken ct, string? backup = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var state = LocalEnvironmentState.Load(workDirectory);
        var node = state.Caches?.FirstOrDefault(c => c.Role == NodeRole.Primary)
            ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no Redis primary to restore into");
        var loaded = await RdbFile.ReadAsync(rdb, "the Redis backup", ct);
        if (expected.Mismatch(loaded) is { } before)
            throw new RecoveryException($"the Redis backup does not hold what its manifest recorded ({before}); refusing to restore it (nothing was changed)");

        var server = Server(node);
        var previous = server.RdbFile + ".before-restore";
        await server.StopAsync(ct, save: false);
        if (File.Exists(server.RdbFile)) File.Move(server.RdbFile, previous, overwrite: true);
        try
        {
            File.Copy(rdb, server.RdbFile, overwrite: true);
            await server.StartAsync(ct);
            await using var connection = await RespConnection.OpenAsync(server.Endpoint, ct);
            var restored = await CacheContent.ReadAsync(connection, ct);
            if (expected.Mismatch(restored) is { } after)
                throw new RecoveryException($"Redis {node.Name} after the restore does not match the manifest ({after})");
            File.Delete(previous);
            // Recorded once verified: a resumed runbook asks this and never restores the same backup twice.
            if (backup is not null)
            {
                var current = LocalEnvironmentState.Load(workDirectory);
                (current with { Caches = current.Caches!.Select(c => c.Name == node.Name ? c with { RestoredFrom = backup, RestoredAt = DateTimeOffset.UtcNow } : c).ToList() }).Save();
            }
            foreach (var replica in state.Caches!.Where(c => c.Role == NodeRole.Standby && Server(c).IsRunning()))
                await WaitForSyncAsync(Server(replica).Endpoint, ct);
            return new CacheRestoreResult(node.Name, server.Endpoint, expected, restored, clock.Elapsed);
        }
        catch
        {
            // Back to what it held: the node as it was before, whatever failed.
            await server.StopAsync(CancellationToken.None, save: false);
            if (File.Exists(previous)) File.Move(previous, server.RdbFile, overwrite: true);
            else File.Delete(server.RdbFile);
            try { await server.StartAsync(CancellationToken.None); } catch (RecoveryException) { }
            throw;
        }
    }

    /// <summary>
    /// Starts <paramref name="name"/> (a fenced old primary, or a replica that was down) as a replica of the
    /// recorded cache primary, waits for its first sync, and records it as the replica. A node that runs
    /// but follows another server is pointed at the primary (REPLICAOF) instead of restarted.
    /// </summary>
    public static async Task<CacheEndpoint> RejoinAsync(string workDirectory, string name, CancellationToken ct)
    {
        var state = LocalEnvironmentState.Load(workDirectory);
        var caches = state.Caches ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no Redis");
        var node = caches.FirstOrDefault(c => c.Name == name)
            ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no Redis node '{name}' (nodes: {string.Join(", ", caches.Select(c => c.Name))})");
        var primary = caches.FirstOrDefault(c => c.Role == NodeRole.Primary)
            ?? throw new RecoveryException($"no Redis primary is recorded in {state.WorkDirectory} for {name} to replicate from");
        if (node == primary) throw new RecoveryException($"{name} is the Redis primary; it cannot rejoin as a replica of itself");
        var server = Server(node);
        var source = Server(primary).Endpoint;
        await server.WriteConfigAsync(source, snapshots: true, ct);
        if (server.IsRunning())
        {
            await using var connection = await RespConnection.OpenAsync(server.Endpoint, ct);
            await connection.CallAsync(ct, "REPLICAOF", source.Host, source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else await server.StartAsync(ct);
        await WaitForSyncAsync(server.Endpoint, ct);
        var current = LocalEnvironmentState.Load(workDirectory);
        (current with { Caches = current.Caches!.Select(c => c.Name == name ? c with { Role = NodeRole.Standby } : c).ToList() }).Save();
        return server.Endpoint;
    }

    /// <summary>
    /// Promotes the cache replica (REPLICAOF NO ONE, persisted with CONFIG REWRITE) after fencing
    /// the old primary: if it still runs it is killed, and its configuration is rewritten to come
    /// back as a replica of the new primary, so it never serves writes again on its own.
    /// Records the roles. Returns the new primary's endpoint.
    /// </summary>
    public static async Task<CacheEndpoint> PromoteReplicaAsync(string workDirectory, CancellationToken ct)
    {
        var state = LocalEnvironmentState.Load(workDirectory);
        var caches = state.Caches ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no Redis");
        var replica = caches.FirstOrDefault(c => c.Role == NodeRole.Standby) ?? throw new RecoveryException("no Redis replica is recorded to promote");
        var old = caches.FirstOrDefault(c => c.Role == NodeRole.Primary);
        var promoted = Server(replica);
        if (old is not null)
        {
            Server(old).Kill();
            await Server(old).WriteConfigAsync(promoted.Endpoint, snapshots: true, ct);
        }
        await using (var connection = await RespConnection.OpenAsync(promoted.Endpoint, ct))
        {
            await connection.CallAsync(ct, "REPLICAOF", "NO", "ONE");
            await connection.CallAsync(ct, "CONFIG", "REWRITE");
        }
        var roles = caches.Select(c => c == replica ? c with { Role = NodeRole.Primary } : c == old ? c with { Role = NodeRole.Fenced } : c).ToList();
        (state with { Caches = roles }).Save();
        return promoted.Endpoint;
    }
}
