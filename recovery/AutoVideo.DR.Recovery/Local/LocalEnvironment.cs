using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.PointInTime;
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

    /// <summary>
    /// Creates and starts the environment; a stopped one is started again, a running one refused, and
    /// one an earlier up left unfinished (killed, crashed) is finished: what is ready is kept, the rest
    /// rebuilt. The state file is written before the first server starts and after each step, so an up
    /// killed at any point leaves nothing running that status, down and the next up do not know of.
    /// </summary>
    public async Task<LocalEnvironmentState> UpAsync(LocalEnvironmentOptions options, CancellationToken ct)
    {
        var workDirectory = Path.GetFullPath(options.WorkDirectory);
        LocalEnvironmentState.CheckWorkDirectory(workDirectory);
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        if (options.Monitoring) MonitoringPrograms.Locate(); // missing programs refused before anything starts

        if (LocalEnvironmentState.TryLoad(workDirectory) is { } existing)
        {
            if (existing.Up is { Running: true } && existing.Up.Pid != Environment.ProcessId)
                throw new RecoveryException($"{existing.Up.Describe()} is still setting up {workDirectory}; wait for it to finish (see 'autovideo-dr local status'), or stop it (kill {existing.Up.Pid}) and run 'autovideo-dr local up' again to finish it");
            if (!existing.Complete)
            {
                logger.LogWarning("{Up} did not finish {WorkDirectory}: finishing it now, keeping the servers that are ready and rebuilding the rest",
                    existing.Up?.Describe() ?? "an earlier 'local up'", workDirectory);
                return await BuildOrRemoveAsync(existing with { Up = LocalUp.Mine() }, options, installation, account, createdDirectory: false, ct);
            }
            var running = existing.Nodes.Where(n => Server(installation, account, n).IsRunning()).ToList();
            // An earlier up that was cut short while starting a stopped environment: start the rest.
            var interrupted = existing.Up is not null;
            if (running.Count > 0 && !interrupted && options.Monitoring && existing.Monitoring?.AnyRunning != true)
                return await WithMonitoringAsync(existing, options.AlertWebhook, ct);
            if (running.Count > 0 && !interrupted)
                throw new RecoveryException($"a local environment is already running in {workDirectory} ({string.Join(", ", running.Select(n => $"{n.Name} {n.Role.Name()} on port {n.Port}"))}); see 'autovideo-dr local status' or stop it with 'autovideo-dr local down'");
            if (interrupted) logger.LogWarning("{Up} did not finish {WorkDirectory}: starting what does not run", existing.Up!.Describe(), workDirectory);
            else logger.LogInformation("Starting the stopped environment in {WorkDirectory}", workDirectory);
            var starting = existing with { Up = LocalUp.Mine() };
            starting.Save();
            foreach (var node in existing.Nodes.Except(running).OrderBy(n => n.Role)) await Server(installation, account, node).StartAsync(ct);
            if (existing.Caches is { } existingCaches) await LocalCache.StartAsync(existingCaches, ct);
            var started = starting with { Up = null };
            if (existing.Monitoring is null && !options.Monitoring)
            {
                started.Save();
                return started;
            }
            return await WithMonitoringAsync(started, options.AlertWebhook ?? existing.Monitoring?.AlertWebhook, ct);
        }

        var primaryPort = options.PrimaryPort ?? FreePort.Pick();
        if (options.PrimaryPort is { } p) FreePort.EnsureFree(p, "--port");
        var standbyPort = options.StandbyPort ?? FreePort.PickOtherThan([primaryPort]);
        if (options.StandbyPort is { } s) FreePort.EnsureFree(s, "--standby-port");
        if (primaryPort == standbyPort)
            throw new RecoveryException($"--port and --standby-port are both {primaryPort}; accepted: two different free ports");
        var foreign = Directory.Exists(workDirectory)
            ? Directory.EnumerateFileSystemEntries(workDirectory).Where(e => !LocalEnvironmentState.SharedEntries.Contains(Path.GetFileName(e))).ToList()
            : [];
        if (foreign.Count > 0)
            throw new RecoveryException($"{workDirectory} holds no local environment but other files ({string.Join(", ", foreign.Take(3).Select(Path.GetFileName))}); choose an empty or new --workdir");

        var createdDirectory = !Directory.Exists(workDirectory);
        try { Directory.CreateDirectory(workDirectory); }
        catch (Exception e) when (Explain(e, workDirectory) is { } fault) { throw fault; }
        // Every server is planned and recorded before the first one starts.
        var state = new LocalEnvironmentState(
            WorkDirectory: workDirectory,
            Database: options.Database,
            // The pgBackRest setup (configuration, spool, logs) through which WAL is archived.
            ArchiveDirectory: Path.Combine(workDirectory, LocalEnvironmentState.ArchiveFolder),
            BackupDirectory: Path.Combine(workDirectory, "backups"),
            CreatedAt: DateTimeOffset.UtcNow,
            Nodes:
            [
                new("pg-a", primaryPort, Path.Combine(workDirectory, "pg-a"), Path.Combine(workDirectory, "logs", "pg-a.log"), NodeRole.Primary, ServerSetup.Planned),
                new("pg-b", standbyPort, Path.Combine(workDirectory, "pg-b"), Path.Combine(workDirectory, "logs", "pg-b.log"), NodeRole.Standby, ServerSetup.Planned),
            ],
            HomePrimary: "pg-a",
            // Redis primary and replica beside the databases (the plan's "PostgreSQL 或 Redis").
            Caches: LocalCache.Plan(workDirectory, [primaryPort, standbyPort], ServerSetup.Planned),
            Up: LocalUp.Mine());
        return await BuildOrRemoveAsync(state, options, installation, account, createdDirectory, ct);
    }

    /// <summary>
    /// Builds what is not ready yet, recording each server's setup as it goes. If that fails, the
    /// environment (which never completed) is stopped and removed, so nothing is left half-running.
    /// </summary>
    async Task<LocalEnvironmentState> BuildOrRemoveAsync(LocalEnvironmentState state, LocalEnvironmentOptions options,
        PostgresInstallation installation, ServerAccount account, bool createdDirectory, CancellationToken ct)
    {
        var workDirectory = state.WorkDirectory;
        var recorded = state;
        void Record(LocalEnvironmentState next)
        {
            next.Save();
            recorded = next;
        }
        try
        {
            Record(state);
            await BuildAsync(() => recorded, Record, options, installation, account, ct);
            Record(recorded with { Up = null });
            return recorded;
        }
        catch (Exception e)
        {
            // Nothing half-running: stop whatever runs and remove what up created (monitoring, the
            // last step, stops its own processes when it fails).
            await StopAllAsync(recorded, installation, save: false, CancellationToken.None);
            try
            {
                if (createdDirectory) Directory.Delete(workDirectory, recursive: true);
                else foreach (var entry in Directory.EnumerateFileSystemEntries(workDirectory).Where(x => !LocalEnvironmentState.SharedEntries.Contains(Path.GetFileName(x)))) DeleteEntry(entry);
            }
            catch (Exception cleanup) when (FileFault.Describe(cleanup) is { } fault)
            {
                logger.LogWarning("Could not remove everything in {WorkDirectory}: {Fault}", workDirectory, fault);
            }
            if (Explain(e, workDirectory) is { } explained) throw explained;
            throw;
        }
    }

    /// <summary>Each server in turn: kept when ready (started if it stopped), else discarded and made anew, its setup recorded before and after.</summary>
    async Task BuildAsync(Func<LocalEnvironmentState> current, Action<LocalEnvironmentState> record, LocalEnvironmentOptions options,
        PostgresInstallation installation, ServerAccount account, CancellationToken ct)
    {
        var state = current();
        // Ports are planned when 'up' starts, seconds before each server does; meanwhile another
        // program may take one. A port 'up' chose itself is chosen again (and recorded) just before
        // its server starts; one the operator named must still be free, or the start fails naming it.
        int FreeOrAnother(int planned, IEnumerable<int>? alsoTaken = null)
        {
            var all = current();
            HashSet<int> taken = [.. all.Nodes.Select(n => n.Port), .. (all.Caches ?? []).Select(c => c.Port), .. alsoTaken ?? []];
            taken.Remove(planned);
            return !taken.Contains(planned) && FreePort.IsFree(planned) ? planned : FreePort.PickOtherThan([.. taken, planned]);
        }
        LocalNodeState ClaimPort(LocalNodeState node, int? named)
        {
            if (named is not null || FreeOrAnother(node.Port) is var port && port == node.Port) return node;
            logger.LogInformation("Port {Planned} planned for {Node} was taken meanwhile; {Node} takes {Port}", node.Port, node.Name, node.Name, port);
            record(current().WithPort(node.Name, port));
            return current().Nodes.Single(n => n.Name == node.Name);
        }
        var primaryNode = state.NodeWithRole(NodeRole.Primary);
        var standbyNode = state.NodeWithRole(NodeRole.Standby);
        var primary = Server(installation, account, primaryNode);
        await account.EnsureServerCanEnterAsync(state.WorkDirectory, ct);
        foreach (var dir in new[] { state.ArchiveDirectory, state.BackupDirectory, Path.GetDirectoryName(primaryNode.LogFile)! })
            await account.GiveToServerAsync(dir, ct);
        // pgBackRest's setup before the first server starts (the archive_command names it); a resumed up
        // keeps the one it finds, whose repositories and passphrase the archived WAL already uses.
        var archiving = PgBackRestSetup.TryLoad(state.ArchiveDirectory) ?? await LocalPointInTime.SetUpAsync(state, options.PointInTime, account, ct);

        if (primaryNode.Setup == ServerSetup.Ready) { if (!primary.IsRunning()) await primary.StartAsync(ct); }
        else
        {
            await DiscardAsync(primary);
            record(current().WithSetup(primaryNode.Name, ServerSetup.Created));
            await account.GiveToServerAsync(primaryNode.DataDirectory, ct, isDataDirectory: true);
            logger.LogInformation("initdb {DataDirectory}", primaryNode.DataDirectory);
            await primary.RunAsync("initdb", ["-D", primaryNode.DataDirectory, "-U", PostgresServer.Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"], ct);
            await ServerConfiguration.WriteAsync(primaryNode.DataDirectory, state.ArchiveDirectory, account, ct);
            primaryNode = ClaimPort(primaryNode, options.PrimaryPort);
            primary = Server(installation, account, primaryNode);
            logger.LogInformation("Starting primary {Node} on port {Port}", primaryNode.Name, primaryNode.Port);
            await primary.StartAsync(ct);
            await DatabaseConnection.ExecuteAsync(primary.ConnectionString("postgres"), $"CREATE DATABASE \"{state.Database}\"", ct);
            record(current().WithSetup(primaryNode.Name, ServerSetup.Ready));
        }

        var standby = Server(installation, account, standbyNode);
        if (standbyNode.Setup == ServerSetup.Ready) { if (!standby.IsRunning()) await standby.StartAsync(ct); }
        else
        {
            await DiscardAsync(standby);
            record(current().WithSetup(standbyNode.Name, ServerSetup.Created));
            standbyNode = ClaimPort(standbyNode, options.StandbyPort);
            // The standby's copy and the repositories' first full backup both read the primary: side by side.
            await Task.WhenAll(
                StandbyFromBaseBackupAsync(installation, account, primaryNode, standbyNode, state.ArchiveDirectory, ct),
                LocalPointInTime.FirstBackupAsync(archiving, primaryNode, logger, ct));
            record(current().WithSetup(standbyNode.Name, ServerSetup.Ready));
        }

        var caches = current().Caches ?? LocalCache.Plan(state.WorkDirectory, state.Nodes.Select(n => n.Port).ToList(), ServerSetup.Planned);
        if (caches.All(c => c.Setup == ServerSetup.Ready)) await LocalCache.StartAsync(caches, ct);
        else
        {
            await LocalCache.StopAsync(caches, ct, save: false);
            foreach (var cache in caches) if (Directory.Exists(cache.Directory)) Directory.Delete(cache.Directory, recursive: true);
            var claimed = new List<LocalCacheNodeState>();
            foreach (var cache in caches)
            {
                var port = FreeOrAnother(cache.Port, claimed.Select(c => c.Port));
                claimed.Add(cache with { Port = port, Setup = ServerSetup.Created });
            }
            record(current() with { Caches = claimed });
            await LocalCache.CreateAsync(current().Caches!, ct);
            record(current() with { Caches = current().Caches!.Select(c => c with { Setup = ServerSetup.Ready }).ToList() });
        }

        if (options.Media is { } media && current().Media is null) record(current() with { Media = await LocalMedia.CreateAsync(media, ct) });
        if (options.Monitoring || current().Monitoring is not null)
        {
            var monitoring = new LocalMonitoring(logger);
            // What an interrupted up started is stopped first; each process is recorded as soon as it runs.
            if (current().Monitoring is { } old) await monitoring.StopAsync(old, ct);
            await StrayServers.StopMonitoringAsync(current().WorkDirectory, ct);
            record(current() with { Monitoring = null });
            if (options.Monitoring)
                record(current() with { Monitoring = await monitoring.StartAsync(current(), options.AlertWebhook, ct, partial => record(current() with { Monitoring = partial })) });
        }
    }

    /// <summary>A server that was not seen working: stopped if it runs, its directory removed.</summary>
    static async Task DiscardAsync(PostgresServer server)
    {
        await server.StopAsync(CancellationToken.None, "immediate");
        if (Directory.Exists(server.DataDirectory)) Directory.Delete(server.DataDirectory, recursive: true);
    }

    /// <summary>Stops every recorded server and monitoring process that runs; returns their names.</summary>
    async Task<List<string>> StopAllAsync(LocalEnvironmentState state, PostgresInstallation? installation, bool save, CancellationToken ct)
    {
        var stopped = new List<string>();
        if (state.Monitoring is { } monitoring) stopped.AddRange(await new LocalMonitoring(logger).StopAsync(monitoring, ct));
        foreach (var node in state.Nodes)
        {
            var server = Server(installation, ServerAccount.Current(), node);
            if (!server.IsRunning()) continue;
            if (installation is null) server.Kill();
            else await server.StopAsync(ct, save ? "fast" : "immediate");
            stopped.Add(node.Name);
        }
        if (state.Caches is { } caches) stopped.AddRange(await LocalCache.StopAsync(caches, ct, save));
        // pgBackRest's asynchronous archiver outlives the archive_command that started it: not the environment.
        await LocalPointInTime.StopArchiverAsync(state.ArchiveDirectory, ct);
        return stopped;
    }

    /// <summary>A failure of the disk or the database while creating the environment, as one line naming the directory and what to do; null for anything else.</summary>
    static RecoveryException? Explain(Exception e, string workDirectory)
    {
        const string full = "free space there or choose another --workdir";
        if (e is RecoveryException r)
            return r.Message.Contains("No space left on device", StringComparison.Ordinal) && !r.Message.Contains(full, StringComparison.Ordinal)
                ? new RecoveryException($"cannot create the local environment in {workDirectory}: the disk is full ({r.Message}); {full}", r)
                : null;
        if (e is Npgsql.PostgresException p)
            return new RecoveryException($"cannot create the local environment in {workDirectory}: PostgreSQL refused: {p.MessageText}; " +
                (p.SqlState == "53100" ? full : "see the server log in its logs/ directory"), p);
        return FileFault.Explain(e, $"cannot create the local environment in {workDirectory}", FileFault.IsFull(e) ? full : "choose another --workdir, or fix its permissions");
    }

    /// <summary>(Re)starts the monitoring of an environment whose nodes run, stopping any leftover monitoring process first; each process recorded as it starts.</summary>
    async Task<LocalEnvironmentState> WithMonitoringAsync(LocalEnvironmentState state, string? alertWebhook, CancellationToken ct)
    {
        var monitoring = new LocalMonitoring(logger);
        if (state.Monitoring is { } old) await monitoring.StopAsync(old, ct);
        // Also any an interrupted up started without recording it.
        await StrayServers.StopMonitoringAsync(state.WorkDirectory, ct);
        var recorded = state with { Monitoring = null, Up = LocalUp.Mine() };
        recorded.Save();
        try
        {
            var started = await monitoring.StartAsync(recorded, alertWebhook, ct, partial => (recorded with { Monitoring = partial }).Save());
            var updated = recorded with { Monitoring = started, Up = null };
            updated.Save();
            return updated;
        }
        catch
        {
            // The monitoring stopped what it started: the environment is as it was, without monitoring.
            (recorded with { Up = null }).Save();
            throw;
        }
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

    /// <summary>
    /// Stops the monitoring and every server (killing any that does not stop) and, unless kept, removes
    /// the working directory. A half-built environment (an up killed half-way) goes the same way, and
    /// so does one whose state file cannot be read: what its directory shows running is stopped too.
    /// </summary>
    public async Task<IReadOnlyList<string>> DownAsync(string workDirectory, bool keepData, CancellationToken ct)
    {
        workDirectory = Path.GetFullPath(workDirectory);
        LocalEnvironmentState? state;
        try
        {
            state = LocalEnvironmentState.TryLoad(workDirectory)
                ?? throw new RecoveryException($"no local environment in {workDirectory}; create one with 'autovideo-dr local up'");
        }
        catch (RecoveryException e) when (e.InnerException is System.Text.Json.JsonException)
        {
            logger.LogWarning("The state file {Path} cannot be read ({Problem}); stopping what runs from {WorkDirectory} without it",
                LocalEnvironmentState.PathIn(workDirectory), e.InnerException.Message, workDirectory);
            state = null;
        }
        if (state?.Up is { Running: true } up && up.Pid != Environment.ProcessId)
            throw new RecoveryException($"{up.Describe()} is still setting up {workDirectory}; wait for it to finish, or stop it (kill {up.Pid}) and run 'autovideo-dr local down' again");
        // Stopping everything and then failing to remove it would be half a down: check first.
        var parent = Path.GetDirectoryName(workDirectory) ?? "/";
        if (!keepData && !(FileFault.MayChange(workDirectory) && FileFault.MayChange(parent)))
            throw new RecoveryException($"{Environment.UserName} may not remove {workDirectory} (permission denied on it or on {parent}); nothing was stopped: run 'autovideo-dr local down' as the user who created it, or with --keep-data to stop the servers and keep the directory");
        var installation = PostgresInstallation.TryLocate();
        var stopped = state is null ? [] : await StopAllAsync(state, installation, save: keepData, ct);
        stopped.AddRange(await StrayServers.StopAsync(workDirectory, installation, ct));
        if (state is null) await LocalPointInTime.StopArchiverAsync(Path.Combine(workDirectory, LocalEnvironmentState.ArchiveFolder), ct);
        if (!keepData)
        {
            try { Directory.Delete(workDirectory, recursive: true); }
            catch (Exception e) when (FileFault.Explain(e, $"stopped {(stopped.Count == 0 ? "nothing (nothing ran)" : string.Join(", ", stopped))}, but cannot remove {workDirectory}", "remove it by hand (rm -r)") is { } fault)
            {
                throw fault;
            }
        }
        return stopped;
    }

    public static PostgresServer Server(PostgresInstallation? installation, ServerAccount account, LocalNodeState node) =>
        new(installation ?? new PostgresInstallation(PostgresInstallation.DefaultBinDirectory), account, node.DataDirectory, node.Port, node.LogFile);

    static void DeleteEntry(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }
}
