using System.Diagnostics;
using AutoVideo.DR.Recovery.Postgres;

using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Cache;

/// <summary>Where in its replication history a server was when it saved an RDB: the history's id, the offset, and when (whole seconds).</summary>
public sealed record RdbPosition(string ReplicationId, long Offset, DateTimeOffset SavedAt);

/// <summary>
/// Redis's own backup format, the RDB file: taken from a running server with <c>redis-cli --rdb</c>
/// (the replication protocol, so a replica serves it and the primary does no work), and read back
/// by loading it into a scratch server of its own, which is also the proof that it loads.
/// </summary>
public static class RdbFile
{
    /// <summary>Takes an RDB of the server at <paramref name="source"/> into <paramref name="file"/>.</summary>
    public static async Task TakeAsync(CacheEndpoint source, string file, CancellationToken ct)
    {
        var info = new ProcessStartInfo(RedisServer.Program("redis-cli"))
        {
            ArgumentList = { "-h", source.Host, "-p", source.Port.ToString(), "--rdb", file },
        };
        // A replica refuses SYNC while its own link to the primary is down (-NOMASTERLINK); a link that
        // flapped comes back within seconds, so that one refusal is retried for up to 15 s.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var result = await ProcessRunner.RunAsync(info, ct, allowFailure: true);
            if (result.ExitCode == 0 && File.Exists(file) && new FileInfo(file).Length > 0) return;
            if (!result.LastErrorLine.Contains("NOMASTERLINK", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
                throw new RecoveryException($"taking an RDB from Redis at {source} failed: {result.LastErrorLine}");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>
    /// The replication position an RDB was saved at (its auxiliary fields repl-id, repl-offset and ctime,
    /// as <c>redis-check-rdb</c> prints them), or null when the file has none: a primary records them once
    /// it has replicas. Read without loading the data into a server.
    /// </summary>
    public static async Task<RdbPosition?> PositionAsync(string file, CancellationToken ct)
    {
        if (!File.Exists(file)) return null;
        var result = await ProcessRunner.RunAsync(new ProcessStartInfo(RedisServer.Program("redis-check-rdb")) { ArgumentList = { file } }, ct, allowFailure: true);
        if (result.ExitCode != 0) return null;
        var fields = result.StandardOutput.Split('\n')
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"AUX FIELD (\S+) = '([^']*)'"))
            .Where(m => m.Success)
            .GroupBy(m => m.Groups[1].Value)
            .ToDictionary(g => g.Key, g => g.Last().Groups[2].Value);
        return fields.TryGetValue("repl-id", out var id) && fields.TryGetValue("repl-offset", out var o) && long.TryParse(o, out var offset)
            && fields.TryGetValue("ctime", out var c) && long.TryParse(c, out var ctime)
            ? new RdbPosition(id, offset, DateTimeOffset.FromUnixTimeSeconds(ctime))
            : null;
    }

    /// <summary>
    /// Loads <paramref name="file"/> into a scratch server (free loopback port, its own directory,
    /// removed after) and reads what it holds. A damaged or foreign file fails in one line.
    /// </summary>
    public static async Task<CacheContent> ReadAsync(string file, string what, CancellationToken ct)
    {
        if (!File.Exists(file)) throw new RecoveryException($"{what} is missing ({file})");
        var directory = Path.Combine(Path.GetTempPath(), "avdr-rdb-" + Guid.NewGuid().ToString("N")[..12]);
        var scratch = new RedisServer(directory, FreePort.Pick(), Path.Combine(directory, "redis.log"));
        try
        {
            await scratch.WriteConfigAsync(replicaOf: null, snapshots: false, ct);
            File.Copy(file, scratch.RdbFile);
            try
            {
                await scratch.StartAsync(ct);
            }
            catch (RecoveryException e)
            {
                throw new RecoveryException($"{what} is damaged: Redis cannot load it ({scratch.LastLogProblem() ?? e.Message})");
            }
            await using var connection = await RespConnection.OpenAsync(scratch.Endpoint, ct);
            return await CacheContent.ReadAsync(connection, ct);
        }
        finally
        {
            await scratch.StopAsync(CancellationToken.None, save: false);
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }
}
