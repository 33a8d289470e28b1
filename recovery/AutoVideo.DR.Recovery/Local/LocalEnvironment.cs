using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>What <c>local up</c> is asked for: where, optionally which ports, where pgBackRest keeps its repositories, whether to run the monitoring (and where its alerts go), and the media buckets.</summary>
public sealed record LocalEnvironmentOptions(string WorkDirectory, int? PrimaryPort = null, int? StandbyPort = null, string Database = "autovideo",
    PointInTimeOptions? PointInTime = null, bool Monitoring = false, string? AlertWebhook = null, Media.MediaOptions? Media = null);

/// <summary>
/// The local environment: a real PostgreSQL 15 primary and a streaming-replication standby on
/// loopback, WAL archived by pgBackRest into the environment's store (see <see cref="LocalPointInTime"/>),
/// all under one working directory. Every command works against it with no cloud account.
/// </summary>
public sealed class LocalEnvironment(ILogger<LocalEnvironment> logger)
{
    public const string StandbySlot = "autovideo_standby";

    /// <summary>Creates and starts the environment; a stopped one is started again, a running one refused.</summary>
    public async Task<LocalEnvironmentState> UpAsync(LocalEnvironmentOptions options, CancellationToken ct)
    {
        var workDirectory = Path.GetFullPath(options.WorkDirectory);
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        if (options.Monitoring) MonitoringPrograms.Locate(); // missing programs refused before anything starts

        if (LocalEnvironmentState.TryLoad(workDirectory) is { } existing)
        {
            var running = existing.Nodes.Where(n => Server(installation, account, n).IsRunning()).ToList();
            if (running.Count > 0 && options.Monitoring && existing.Monitoring?.AnyRunning != true)
                return await WithMonitoringAsync(existing, options.AlertWebhook, ct);
            if (running.Count > 0)
                throw new RecoveryException($"a local environment is already running in {workDirectory} ({string.Join(", ", running.Select(n => $"{n.Name} {n.Role.Name()} on port {n.Port}"))}); see 'autovideo-dr local status' or stop it with 'autovideo-dr local down'");
            logger.LogInformation("Starting the stopped environment in {WorkDirectory}", workDirectory);
            foreach (var node in existing.Nodes.OrderBy(n => n.Role)) await Server(installation, account, node).StartAsync(ct);
            if (existing.Caches is { } existingCaches) await LocalCache.StartAsync(existingCaches, ct);
            if (existing.Monitoring is null && !options.Monitoring) return existing;
            return await WithMonitoringAsync(existing, options.AlertWebhook ?? existing.Monitoring?.AlertWebhook, ct);
        }

        var primaryPort = options.PrimaryPort ?? FreePort.Pick();
        if (options.PrimaryPort is { } p) FreePort.EnsureFree(p, "--port");
        var standbyPort = options.StandbyPort ?? PickOtherThan(primaryPort);
        if (options.StandbyPort is { } s) FreePort.EnsureFree(s, "--standby-port");
        if (primaryPort == standbyPort)
            throw new RecoveryException($"--port and --standby-port are both {primaryPort}; accepted: two different free ports");
        var foreign = Directory.Exists(workDirectory)
            ? Directory.EnumerateFileSystemEntries(workDirectory).Where(e => !LocalEnvironmentState.SharedEntries.Contains(Path.GetFileName(e))).ToList()
            : [];
        if (foreign.Count > 0)
            throw new RecoveryException($"{workDirectory} holds no local environment but other files ({string.Join(", ", foreign.Take(3).Select(Path.GetFileName))}); choose an empty or new --workdir");

        var createdDirectory = !Directory.Exists(workDirectory);
        Directory.CreateDirectory(workDirectory);
        var state = new LocalEnvironmentState(
            WorkDirectory: workDirectory,
            Database: options.Database,
            // The pgBackRest setup (configuration, spool, logs) through which WAL is archived.
            ArchiveDirectory: Path.Combine(workDirectory, "pgbackrest"),
            BackupDirectory: Path.Combine(workDirectory, "backups"),
            CreatedAt: DateTimeOffset.UtcNow,
            Nodes:
            [
                new("pg-a", primaryPort, Path.Combine(workDirectory, "pg-a"), Path.Combine(workDirectory, "logs", "pg-a.log"), NodeRole.Primary),
                new("pg-b", standbyPort, Path.Combine(workDirectory, "pg-b"), Path.Combine(workDirectory, "logs", "pg-b.log"), NodeRole.Standby),
            ],
            HomePrimary: "pg-a");
        IReadOnlyList<LocalCacheNodeState> caches = [];
        try
        {
            await CreateAsync(state, options.PointInTime, installation, account, ct);
            // Redis primary and replica beside the databases (the plan's "PostgreSQL 或 Redis"), and the media buckets when asked for.
            caches = await LocalCache.CreateAsync(workDirectory, [primaryPort, standbyPort], ct);
            state = state with { Caches = caches, Media = options.Media is { } media ? await LocalMedia.CreateAsync(media, ct) : null };
            if (options.Monitoring) state = state with { Monitoring = await new LocalMonitoring(logger).StartAsync(state, options.AlertWebhook, ct) };
            state.Save();
            return state;
        }
        catch
        {
            // Nothing half-running: stop whatever started and remove what this call created
            // (monitoring, the last step, stops its own processes when it fails).
            foreach (var node in state.Nodes) await Server(installation, account, node).StopAsync(CancellationToken.None, "immediate");
            await LocalCache.StopAsync(caches, CancellationToken.None, save: false);
            await LocalPointInTime.StopArchiverAsync(state.ArchiveDirectory, CancellationToken.None);
            if (createdDirectory) Directory.Delete(workDirectory, recursive: true);
            else foreach (var entry in Directory.EnumerateFileSystemEntries(workDirectory).Where(e => !LocalEnvironmentState.SharedEntries.Contains(Path.GetFileName(e)))) DeleteEntry(entry);
            throw;
        }
    }

    /// <summary>(Re)starts the monitoring of an environment whose nodes run, stopping any leftover monitoring process first.</summary>
    async Task<LocalEnvironmentState> WithMonitoringAsync(LocalEnvironmentState state, string? alertWebhook, CancellationToken ct)
    {
        var monitoring = new LocalMonitoring(logger);
        if (state.Monitoring is { } old) await monitoring.StopAsync(old, ct);
        var updated = state with { Monitoring = await monitoring.StartAsync(state, alertWebhook, ct) };
        updated.Save();
        return updated;
    }

    async Task CreateAsync(LocalEnvironmentState state, PointInTimeOptions? pointInTime, PostgresInstallation installation, ServerAccount account, CancellationToken ct)
    {
        var primaryNode = state.NodeWithRole(NodeRole.Primary);
        var standbyNode = state.NodeWithRole(NodeRole.Standby);
        await account.EnsureServerCanEnterAsync(state.WorkDirectory, ct);
        foreach (var dir in new[] { state.ArchiveDirectory, state.BackupDirectory, Path.GetDirectoryName(primaryNode.LogFile)! })
            await account.GiveToServerAsync(dir, ct);
        var archiving = await LocalPointInTime.SetUpAsync(state, pointInTime, account, ct);
        await account.GiveToServerAsync(primaryNode.DataDirectory, ct, isDataDirectory: true);

        var primary = Server(installation, account, primaryNode);
        logger.LogInformation("initdb {DataDirectory}", primaryNode.DataDirectory);
        await primary.RunAsync("initdb", ["-D", primaryNode.DataDirectory, "-U", PostgresServer.Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"], ct);
        await ServerConfiguration.WriteAsync(primaryNode.DataDirectory, state.ArchiveDirectory, account, ct);
        logger.LogInformation("Starting primary {Node} on port {Port}", primaryNode.Name, primaryNode.Port);
        await primary.StartAsync(ct);
        await DatabaseConnection.ExecuteAsync(primary.ConnectionString("postgres"), $"CREATE DATABASE \"{state.Database}\"", ct);

        // The standby's copy and the repositories' first full backup both read the primary: side by side.
        await Task.WhenAll(
            StandbyFromBaseBackupAsync(installation, account, primaryNode, standbyNode, state.ArchiveDirectory, ct),
            LocalPointInTime.FirstBackupAsync(archiving, primaryNode, logger, ct));
    }

    /// <summary>
    /// Makes <paramref name="standby"/> a fresh streaming standby of <paramref name="primary"/> with
    /// pg_basebackup, and waits until the primary sees it streaming. Used by up and by rejoin.
    /// </summary>
    internal async Task StandbyFromBaseBackupAsync(PostgresInstallation installation, ServerAccount account, LocalNodeState primary, LocalNodeState standby, string archiveDirectory, CancellationToken ct)
    {
        var server = Server(installation, account, standby);
        // A killed server's socket lock outlives its data directory: clear it while postmaster.pid still names it.
        server.ClearStaleLock();
        if (Directory.Exists(standby.DataDirectory)) Directory.Delete(standby.DataDirectory, recursive: true);
        await account.GiveToServerAsync(standby.DataDirectory, ct, isDataDirectory: true);
        logger.LogInformation("pg_basebackup {Primary} -> {Standby}", primary.Name, standby.Name);
        await DropSlotIfPresentAsync(Server(installation, account, primary), ct);
        await server.RunAsync("pg_basebackup",
            ["-h", PostgresServer.Host, "-p", primary.Port.ToString(), "-U", PostgresServer.Superuser, "-D", standby.DataDirectory,
             "-X", "stream", "-R", "-C", "-S", StandbySlot, "--checkpoint=fast", "--no-sync"], ct);
        await ServerConfiguration.WriteAsync(standby.DataDirectory, archiveDirectory, account, ct);
        logger.LogInformation("Starting standby {Node} on port {Port}", standby.Name, standby.Port);
        await server.StartAsync(ct);
        await WaitForStreamingAsync(Server(installation, account, primary), ct);
    }

    static async Task DropSlotIfPresentAsync(PostgresServer primary, CancellationToken ct)
    {
        await DatabaseConnection.ExecuteAsync(primary.ConnectionString("postgres"),
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", ct, StandbySlot);
    }

    internal static async Task WaitForStreamingAsync(PostgresServer primary, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        await using var connection = await DatabaseConnection.OpenAsync(primary.ConnectionString("postgres"), "primary", ct);
        while (true)
        {
            if (await DatabaseConnection.ScalarAsync<long>(connection, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", ct) > 0) return;
            if (DateTime.UtcNow > deadline)
                throw new RecoveryException($"the standby did not start streaming from port {primary.Port} within 60 s; see the standby's log");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>Stops the monitoring and every node (killing any that does not stop) and, unless kept, removes the working directory.</summary>
    public async Task<IReadOnlyList<string>> DownAsync(string workDirectory, bool keepData, CancellationToken ct)
    {
        workDirectory = Path.GetFullPath(workDirectory);
        var state = LocalEnvironmentState.Load(workDirectory);
        var installation = PostgresInstallation.TryLocate();
        var stopped = new List<string>();
        if (state.Monitoring is { } monitoring) stopped.AddRange(await new LocalMonitoring(logger).StopAsync(monitoring, ct));
        foreach (var node in state.Nodes)
        {
            var server = Server(installation, ServerAccount.Current(), node);
            if (!server.IsRunning()) continue;
            if (installation is null) server.Kill();
            else await server.StopAsync(ct);
            stopped.Add(node.Name);
        }
        if (state.Caches is { } caches) stopped.AddRange(await LocalCache.StopAsync(caches, ct, save: keepData));
        // pgBackRest's asynchronous archiver outlives the archive_command that started it: not the environment.
        await LocalPointInTime.StopArchiverAsync(state.ArchiveDirectory, ct);
        if (!keepData) Directory.Delete(workDirectory, recursive: true);
        return stopped;
    }

    public static PostgresServer Server(PostgresInstallation? installation, ServerAccount account, LocalNodeState node) =>
        new(installation ?? new PostgresInstallation(PostgresInstallation.DefaultBinDirectory), account, node.DataDirectory, node.Port, node.LogFile);

    static int PickOtherThan(int port)
    {
        while (true)
        {
            var candidate = FreePort.Pick();
            if (candidate != port) return candidate;
        }
    }

    static void DeleteEntry(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }
}
