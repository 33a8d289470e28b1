using System.Diagnostics;
using AutoVideo.DR.Recovery.Postgres;

using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Cache;

/// <summary>
/// One Redis server (Debian's redis-server) on loopback: its directory (config, RDB, pid file),
/// port and log, and the calls that start, stop and kill it. Like <see cref="PostgresServer"/>, it
/// knows nothing of roles; <see cref="LocalCache"/> does. Started daemonized, so it outlives the
/// command that started it, as the PostgreSQL nodes do.
/// </summary>
public sealed class RedisServer(string directory, int port, string logFile)
{
    public const string Host = "127.0.0.1";
    public const string RdbFileName = "dump.rdb";
    public const string BinVariable = "AUTOVIDEO_DR_REDIS_BIN";

    public string Directory { get; } = directory;
    public int Port { get; } = port;
    public string LogFile { get; } = logFile;
    public CacheEndpoint Endpoint => new(Host, Port);
    public string ConfigFile => Path.Combine(Directory, "redis.conf");
    public string PidFile => Path.Combine(Directory, "redis.pid");
    public string RdbFile => Path.Combine(Directory, RdbFileName);

    /// <summary>A Redis program (redis-server, redis-cli) from $AUTOVIDEO_DR_REDIS_BIN, else PATH, else /usr/bin.</summary>
    public static string Program(string name)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } bin) candidates.Add(Path.Combine(bin, name));
        else
        {
            candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)));
            candidates.Add(Path.Combine("/usr/bin", name));
        }
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new RecoveryException($"{name} not found (looked for {candidates.First()}); install Debian's redis-server package (scripts/install-prerequisites.sh does), or point {BinVariable} at its directory");
    }

    /// <summary>
    /// Writes the server's redis.conf. <paramref name="replicaOf"/> makes it a replica; <paramref name="snapshots"/>
    /// false turns RDB snapshots off (a scratch server that only loads a file).
    /// </summary>
    public async Task WriteConfigAsync(CacheEndpoint? replicaOf, bool snapshots, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!);
        var config = $"""
            # Written by autovideo-dr: a local Redis node on loopback.
            bind {Host}
            port {Port}
            protected-mode yes
            daemonize yes
            pidfile {Quote(PidFile)}
            logfile {Quote(LogFile)}
            dir {Quote(Directory)}
            dbfilename {RdbFileName}
            # The RDB is the backup format; an append-only file would take precedence over it at start.
            appendonly no
            save {(snapshots ? "3600 1 300 100 60 10000" : "\"\"")}
            replica-read-only yes
            # Diskless syncs (replicas, redis-cli --rdb) start at once instead of waiting 5 s for more replicas.
            repl-diskless-sync-delay 0
            {(replicaOf is { } primary ? $"replicaof {primary.Host} {primary.Port}" : "")}
            """;
        await File.WriteAllTextAsync(ConfigFile, config + "\n", ct);
    }

    static string Quote(string path) => "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>Starts the server and waits until it answers PING with PONG (its dataset loaded).</summary>
    public async Task StartAsync(CancellationToken ct, TimeSpan? timeout = null)
    {
        if (IsRunning()) return;
        if (File.Exists(PidFile)) File.Delete(PidFile);
        var logLength = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
        await ProcessRunner.RunAsync(new ProcessStartInfo(Program("redis-server")) { ArgumentList = { ConfigFile } }, ct);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await PingAsync(ct) == "PONG") return;
            // The daemon forks first and exits on a fatal load error: once its pid file is there and the process is gone, it is over.
            if ((PidOnFile() is { } pid && !ProcessTable.IsAlive(pid)) || DateTime.UtcNow > deadline)
            {
                Kill();
                throw new RecoveryException($"Redis on port {Port} did not start: {LastLogProblem(logLength) ?? "no answer to PING"} (log: {LogFile})");
            }
            await Task.Delay(20, ct);
        }
    }

    /// <summary>PONG, LOADING, another answer, or null when nothing answers.</summary>
    public async Task<string?> PingAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await RespConnection.OpenAsync(Endpoint, ct, TimeSpan.FromMilliseconds(500));
            var reply = (await connection.PipelineAsync([["PING"]], ct))[0];
            return reply is RespError error ? error.Message.Split(' ')[0] : RespConnection.AsText(reply);
        }
        catch (RecoveryException)
        {
            return null;
        }
    }

    /// <summary>Stops the server; <paramref name="save"/> false skips the final RDB snapshot. Killed when it will not stop.</summary>
    public async Task StopAsync(CancellationToken ct, bool save = true)
    {
        if (!IsRunning()) return;
        try
        {
            await using var connection = await RespConnection.OpenAsync(Endpoint, ct);
            // SHUTDOWN closes the connection instead of replying when it succeeds.
            await connection.PipelineAsync([["SHUTDOWN", save ? "SAVE" : "NOSAVE"]], ct);
        }
        catch (RecoveryException) { }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (IsRunning() && DateTime.UtcNow < deadline) await Task.Delay(20, ct);
        if (IsRunning()) Kill();
    }

    /// <summary>SIGKILL: the disaster a drill injects (kill-redis), and the last resort of a stop.</summary>
    public int? Kill()
    {
        if (PidOnFile() is not { } pid || !ProcessTable.IsAlive(pid)) return null;
        using (var process = Process.GetProcessById(pid)) process.Kill();
        // Not our child (it daemonized): wait on the process table, which also sees an unreaped zombie as gone.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (ProcessTable.IsAlive(pid) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        return pid;
    }

    public bool IsRunning() => PidOnFile() is { } pid && ProcessTable.IsAlive(pid) && IsRedis(pid);

    int? PidOnFile()
    {
        try { return int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid) ? pid : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>A stale pid file may name a reused pid: only a redis-server process counts.</summary>
    static bool IsRedis(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("redis-server", StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    /// <summary>The last warning line the server logged since <paramref name="from"/>: usually why it stopped.</summary>
    public string? LastLogProblem(long from = 0)
    {
        try
        {
            using var file = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            file.Seek(Math.Min(from, file.Length), SeekOrigin.Begin);
            var lines = new StreamReader(file).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // Redis marks warnings with '#' after the timestamp.
            var warning = lines.LastOrDefault(l => l.Contains(" # ", StringComparison.Ordinal));
            return (warning ?? lines.LastOrDefault())?.Split(" # ", 2)[^1];
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
