using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Promotion;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// Where <c>local up</c> puts the environment's pgBackRest repositories: repo1 in <see cref="Store"/>
/// (default: the environment's backups/ directory), repo2 in <see cref="OffsiteStore"/> when given
/// (the plan's off-site copy). The cipher passphrase comes from AUTOVIDEO_DR_PITR_CIPHER_PASS, else
/// <see cref="PassphraseFile"/>, else is generated.
/// </summary>
public sealed record PointInTimeOptions(string? Store = null, string? OffsiteStore = null, RepositoryOptions? Repository = null, string? PassphraseFile = null);

/// <summary>How long the last point-in-time restore of this environment took, part by part: the RTO of a restore from its repositories.</summary>
public sealed record LastRestore(DateTimeOffset At, string Target, string Node, string Backup, int Repository, long DatabaseSize, double RestoreSeconds, double RecoverySeconds, double SwitchSeconds)
{
    public double TotalSeconds => RestoreSeconds + RecoverySeconds + SwitchSeconds;
}

/// <summary>What <see cref="LocalPointInTime.RestoreNodeAsync"/> did to the environment, beside the restore itself.</summary>
public sealed record NodeRestoreResult(PointInTimeRestoreResult Restore, string Node, string? Fenced, string? Rebuilt, TimeSpan SwitchDuration)
{
    /// <summary>From the first restored byte until the node accepted writes in its place.</summary>
    public TimeSpan TotalDuration => Restore.TotalDuration + SwitchDuration;
}

/// <summary>
/// Point-in-time recovery of the local environment on its pgBackRest setup (in the environment's
/// pgbackrest/ directory): the recoverable windows, physical backups on the plan's schedule, verify,
/// and restores to a moment either beside the environment (a new data directory) or in place of one
/// of its nodes. A restore into a node runs entirely on a copy first (restore, replay, promotion on
/// a spare port): only once that copy accepts writes is the environment touched, so a bad backup, a
/// missing WAL segment, a wrong passphrase or an unreachable store leave it exactly as it was.
/// </summary>
public sealed class LocalPointInTime(string workDirectory, ILoggerFactory loggers)
{
    const string LastRestoreFile = "last-restore.json";
    /// <summary>In a restored node's data directory: what it was restored to (a resumed runbook reads it).</summary>
    public const string MarkerFile = "autovideo-dr.pitr.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) }, TypeInfoResolver = RecoveryJson.Resolver };

    readonly string directory = Path.GetFullPath(workDirectory);
    readonly ILogger logger = loggers.CreateLogger<LocalPointInTime>();

    LocalEnvironmentState State() => LocalEnvironmentState.Load(directory);

    public PgBackRestSetup Setup => PgBackRestSetup.Load(State().ArchiveDirectory);

    PgBackRest PgBackRest() => new(Setup, ServerAccount.Current(), loggers.CreateLogger<PgBackRest>());

    PointInTimeRecovery Recovery() => new(PgBackRest(), PostgresInstallation.Locate(), ServerAccount.Current(), loggers.CreateLogger<PointInTimeRecovery>());

    static PgNode NodeOf(LocalNodeState node) => new(node.DataDirectory, node.Port);

    /// <summary>A data directory of the cluster with a pg_control, for pgBackRest's checks: the primary's when there is one.</summary>
    static PgNode Reference(LocalEnvironmentState state) =>
        NodeOf(state.Nodes.OrderBy(n => n.Role).FirstOrDefault(n => File.Exists(Path.Combine(n.DataDirectory, "global", "pg_control")))
            ?? throw new RecoveryException($"no node of the environment in {state.WorkDirectory} has a data directory left"));

    /// <summary>Writes the pgBackRest setup of a new environment (before its first server starts: the archive_command names it).</summary>
    internal static async Task<PgBackRestSetup> SetUpAsync(LocalEnvironmentState state, PointInTimeOptions? options, ServerAccount account, CancellationToken ct)
    {
        options ??= new PointInTimeOptions();
        var repositoryOptions = options.Repository ?? new RepositoryOptions();
        var repositories = new List<PgBackRestRepository> { PgBackRestRepository.Parse(1, options.Store ?? state.BackupDirectory, repositoryOptions) };
        if (options.OffsiteStore is { Length: > 0 } offsite) repositories.Add(PgBackRestRepository.Parse(2, offsite, repositoryOptions));
        if (repositories.Count == 2 && repositories[0].Describe() == repositories[1].Describe())
            throw new RecoveryException($"the off-site store {options.OffsiteStore} is the same as the local one; accepted: another directory, bucket or prefix");
        return await PgBackRestSetup.CreateAsync(state.ArchiveDirectory, repositories, options.PassphraseFile, account, ct);
    }

    /// <summary>
    /// The stanza and the first full backup in each repository. The backup waits until the WAL it
    /// needs is in the repository, which proves archiving works (what 'pgbackrest check' would).
    /// </summary>
    internal static async Task FirstBackupAsync(PgBackRestSetup setup, LocalNodeState primary, ILogger logger, CancellationToken ct)
    {
        var pgbackrest = new PgBackRest(setup, ServerAccount.Current(), logger);
        await pgbackrest.StanzaCreateAsync(NodeOf(primary), ct);
        foreach (var repository in setup.Repositories)
            await pgbackrest.BackupAsync(NodeOf(primary), PhysicalBackupType.Full, repository.Number, ct);
    }

    /// <summary>After the servers stopped: lets the asynchronous archiver finish its pushes (at most 30 s), then ends it.</summary>
    internal static Task<IReadOnlyList<int>> StopArchiverAsync(string archiveDirectory, CancellationToken ct) =>
        PgBackRestProcesses.StopAsync(PgBackRestSetup.ConfigFileIn(archiveDirectory), TimeSpan.FromSeconds(30), ct);

    /// <summary>
    /// Fetches from the repositories the archived segments of <paramref name="timeline"/> numbered
    /// <paramref name="from"/> up to and excluding <paramref name="until"/> into a new directory under
    /// the setup's scratch space (the caller deletes it), for reading WAL that the lost primary's pg_wal
    /// no longer holds. At most <paramref name="most"/> segments; a segment no repository holds is a
    /// RecoveryException naming it (a count without it would be short).
    /// </summary>
    public async Task<string> FetchSegmentsAsync(LocalNodeState reference, uint timeline, ulong from, ulong until, int most, CancellationToken ct)
    {
        if (until <= from) throw new ArgumentOutOfRangeException(nameof(until), "nothing to fetch");
        if (until - from > (ulong)most)
            throw new RecoveryException($"the WAL after the point spans {until - from} archived segments, more than the {most} a count fetches");
        var pgbackrest = PgBackRest();
        var target = Path.Combine(pgbackrest.Setup.ScratchPath, "wal-" + Guid.NewGuid().ToString("N")[..8]);
        await ServerAccount.Current().GiveToServerAsync(target, ct);
        var held = new Dictionary<ulong, int>();
        foreach (var repository in pgbackrest.Setup.Repositories.Select(r => r.Number).Reverse())
            foreach (var archived in await pgbackrest.ArchivedSegmentsAsync(repository, ct))
                if (archived.Segment.Timeline == timeline) held[archived.Segment.Number] = repository;
        for (var number = from; number < until; number++)
        {
            var segment = new WalSegment(timeline, number);
            if (!held.TryGetValue(number, out var repository))
                throw new RecoveryException($"WAL segment {segment.Name} is in no repository");
            await pgbackrest.ArchiveGetAsync(repository, NodeOf(reference), segment, Path.Combine(target, segment.Name), ct);
        }
        return target;
    }

    /// <summary>What every repository can restore to now.</summary>
    public async Task<IReadOnlyList<RecoverableWindow>> WindowsAsync(CancellationToken ct) =>
        await Recovery().WindowsAsync(Reference(State()), ct);

    /// <summary>The repository, backup and stretch a restore to <paramref name="target"/> would use; refuses (one line, with the window) when outside.</summary>
    public async Task<RestorePlan> PlanAsync(RecoveryTarget target, int? repository, CancellationToken ct) =>
        await Recovery().PlanAsync(target, Reference(State()), repository, ct);

    /// <summary>
    /// A physical backup of the primary into every repository; <paramref name="type"/> null follows
    /// <see cref="PhysicalBackupSchedule"/> (full once a day, differential otherwise).
    /// </summary>
    public async Task<IReadOnlyList<PhysicalBackup>> BackupAsync(PhysicalBackupType? type, CancellationToken ct)
    {
        var state = State();
        var primary = state.NodeWithRole(NodeRole.Primary);
        var pgbackrest = PgBackRest();
        var info = await pgbackrest.InfoAsync(ct);
        var taken = new List<PhysicalBackup>();
        foreach (var repository in pgbackrest.Setup.Repositories)
        {
            var chosen = type ?? PhysicalBackupSchedule.Next(info.BackupsIn(repository.Number), DateTimeOffset.UtcNow);
            taken.Add(await pgbackrest.BackupAsync(NodeOf(primary), chosen, repository.Number, ct));
        }
        return taken;
    }

    public async Task<IReadOnlyList<RepositoryVerification>> VerifyAsync(CancellationToken ct)
    {
        var pgbackrest = PgBackRest();
        var results = new List<RepositoryVerification>();
        foreach (var repository in pgbackrest.Setup.Repositories) results.Add(await pgbackrest.VerifyAsync(repository.Number, ct));
        return results;
    }

    public async Task<PgBackRestInfo> InfoAsync(CancellationToken ct) => await PgBackRest().InfoAsync(ct);

    /// <summary>
    /// Restores beside the environment: into <paramref name="dataDirectory"/> (new or empty), started
    /// on <paramref name="port"/> (default: a free one), promoted, left running and never archiving.
    /// </summary>
    public async Task<PointInTimeRestoreResult> RestoreIntoDirectoryAsync(string dataDirectory, int? port, RecoveryTarget target, int? repository, CancellationToken ct)
    {
        var full = Path.GetFullPath(dataDirectory);
        var state = State();
        if (state.Nodes.Any(n => Path.GetFullPath(n.DataDirectory) == full))
            throw new RecoveryException($"{full} is a node of the environment; accepted: a new directory, or --target standby|primary to restore a node");
        if (port is { } p) FreePort.EnsureFree(p, "--port");
        // As pg_basebackup -D does, the parents are created; the server account must be able to reach them.
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await ServerAccount.Current().EnsureServerCanEnterAsync(Path.GetDirectoryName(full)!, ct);
        var plan = await PlanAsync(target, repository, ct);
        var result = await Recovery().RestoreIntoDirectoryAsync(plan, full, port ?? FreePort.Pick(), ct);
        await RecordAsync(new LastRestore(DateTimeOffset.UtcNow, target.Describe(), full, plan.Backup.Label, plan.Repository, plan.Backup.DatabaseSize,
            result.RestoreDuration.TotalSeconds, result.RecoveryDuration.TotalSeconds, 0), ct);
        return result;
    }

    /// <summary>
    /// Restores node <paramref name="nodeName"/> to <paramref name="target"/> and makes it the primary.
    /// The standby: the primary (which carries the damage) is fenced in its favour. The primary (after
    /// a failover, or to rewind it in place): it is replaced, and a standby of it is rebuilt from it.
    /// </summary>
    public async Task<NodeRestoreResult> RestoreNodeAsync(string nodeName, RecoveryTarget target, int? repository, CancellationToken ct)
    {
        var state = State();
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        var node = state.Nodes.FirstOrDefault(n => n.Name == nodeName)
            ?? throw new RecoveryException($"the local environment in {directory} has no node '{nodeName}' (nodes: {string.Join(", ", state.Nodes.Select(n => n.Name))})");
        if (node.Role == NodeRole.Fenced)
            throw new RecoveryException($"{node.Name} is fenced; accepted: the standby or the primary (restore beside the environment with --target <new directory>)");
        var plan = await PlanAsync(target, repository, ct);

        // 1. Everything that can fail happens on a copy, on a spare port, with the nodes untouched.
        var staging = node.DataDirectory + ".pitr";
        PointInTimeRecovery.Remove(staging, keepDirectory: false);
        var recovery = Recovery();
        var (bytes, restoreDuration) = await recovery.RestoreFilesAsync(plan, staging, ct);
        var copy = new PostgresServer(installation, account, staging, FreePort.Pick(), Path.Combine(Path.GetDirectoryName(node.LogFile)!, $"{node.Name}-pitr.log"));
        (DateTimeOffset? LastCommit, string Lsn, int Timeline, TimeSpan Duration) recovered;
        try
        {
            foreach (var leftover in new[] { "standby.signal", Fence.MarkerFile, MarkerFile }) File.Delete(Path.Combine(staging, leftover));
            // The copy archives its new timeline (the history file above all) under its own name until it takes the node's place.
            await ServerConfiguration.WriteAsync(staging, state.ArchiveDirectory, account, ct);
            recovered = await recovery.RecoverAsync(copy, ct);
            await copy.StopAsync(ct, mode: "fast");
        }
        catch
        {
            await copy.StopAsync(CancellationToken.None, mode: "immediate");
            PointInTimeRecovery.Remove(staging, keepDirectory: false);
            throw;
        }

        // 2. The switch: fence or stop what the copy replaces, put the copy in the node's place, start it.
        var switchClock = Stopwatch.StartNew();
        var server = LocalEnvironment.Server(installation, account, node);
        var primary = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary && n.Name != node.Name);
        var standby = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Standby && n.Name != node.Name);
        var previous = node.DataDirectory + ".before-pitr";
        PointInTimeRecovery.Remove(previous, keepDirectory: false);
        string? fenced = null;
        var wasRunning = server.IsRunning();
        try
        {
            if (primary is not null)
            {
                var fence = await Fence.ApplyAsync(LocalEnvironment.Server(installation, account, primary), node, account, ct);
                fenced = primary.Name;
                logger.LogInformation("Fenced {Node}: {Method}", primary.Name, fence.Method);
            }
            if (standby is not null) await LocalEnvironment.Server(installation, account, standby).StopAsync(ct, mode: "immediate");
            await server.StopAsync(ct, mode: node.Role == NodeRole.Primary ? "fast" : "immediate");
            Directory.Move(node.DataDirectory, previous);
            Directory.Move(staging, node.DataDirectory);
            await PointInTimeRecovery.ClearRecoverySettingsAsync(node.DataDirectory, ct);
            await CarryClientHoldAsync(previous, node.DataDirectory, ct);
            await ServerConfiguration.WriteAsync(node.DataDirectory, state.ArchiveDirectory, account, ct);
            await File.WriteAllTextAsync(Path.Combine(node.DataDirectory, MarkerFile), JsonSerializer.Serialize(new
            {
                target = target.Describe(), backup = plan.Backup.Label, repository = plan.Repository, lastCommit = recovered.LastCommit, lsn = recovered.Lsn,
                timeline = recovered.Timeline, restoredAt = DateTimeOffset.UtcNow,
            }, Json), ct);
            await account.GiveToServerAsync(node.DataDirectory, ct, isDataDirectory: true);
            await server.StartAsync(ct);
            await WaitWritableAsync(server, ct);
        }
        catch
        {
            await RollBackAsync(installation, account, node, previous, primary, fenced, standby, wasRunning);
            throw;
        }
        var roles = new Dictionary<string, NodeRole> { [node.Name] = NodeRole.Primary };
        if (fenced is not null) roles[fenced] = NodeRole.Fenced;
        state = state.WithRoles(roles);
        state.Save();
        PointInTimeRecovery.Remove(previous, keepDirectory: false);

        // 3. A standby that followed the replaced primary cannot follow the new timeline from where it stands: a fresh copy.
        string? rebuilt = null;
        if (standby is not null)
        {
            await new LocalEnvironment(loggers.CreateLogger<LocalEnvironment>())
                .StandbyFromBaseBackupAsync(installation, account, state.NodeWithRole(NodeRole.Primary), standby, state.ArchiveDirectory, ct);
            rebuilt = standby.Name;
        }
        var switchDuration = switchClock.Elapsed;
        var result = new PointInTimeRestoreResult(plan, node.DataDirectory, node.Port, recovered.LastCommit, recovered.Lsn, recovered.Timeline, bytes, restoreDuration, recovered.Duration);
        await RecordAsync(new LastRestore(DateTimeOffset.UtcNow, target.Describe(), node.Name, plan.Backup.Label, plan.Repository, plan.Backup.DatabaseSize,
            restoreDuration.TotalSeconds, recovered.Duration.TotalSeconds, switchDuration.TotalSeconds), ct);
        return new NodeRestoreResult(result, node.Name, fenced, rebuilt, switchDuration);
    }

    /// <summary>Puts the environment back as it was when the switch failed half-way: the node's own data, the old primary unfenced and running.</summary>
    async Task RollBackAsync(PostgresInstallation installation, ServerAccount account, LocalNodeState node, string previous, LocalNodeState? primary, string? fenced, LocalNodeState? standby, bool wasRunning)
    {
        logger.LogWarning("The switch to the restored copy failed; putting {Node} back as it was", node.Name);
        var server = LocalEnvironment.Server(installation, account, node);
        await server.StopAsync(CancellationToken.None, mode: "immediate");
        if (Directory.Exists(previous))
        {
            PointInTimeRecovery.Remove(node.DataDirectory, keepDirectory: false);
            Directory.Move(previous, node.DataDirectory);
        }
        if (primary is not null && fenced is not null)
        {
            // Undo the fence: without standby.signal and the marker it starts as the primary it was.
            File.Delete(Path.Combine(primary.DataDirectory, "standby.signal"));
            Fence.Lift(primary.DataDirectory);
            await LocalEnvironment.Server(installation, account, primary).StartAsync(CancellationToken.None);
        }
        if (wasRunning) await server.StartAsync(CancellationToken.None);
        if (standby is not null) await LocalEnvironment.Server(installation, account, standby).StartAsync(CancellationToken.None);
    }

    static async Task WaitWritableAsync(PostgresServer server, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (await DatabaseConnection.ScalarAsync<bool>(server.ConnectionString("postgres"), "SELECT NOT pg_is_in_recovery()", ct)) return;
            }
            catch (RecoveryException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new RecoveryException($"the restored node on port {server.Port} did not accept writes within 60 s: {server.LastLogProblem() ?? "see its log"}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>
    /// A node a runbook holds clients off (ALTER SYSTEM default_transaction_read_only, in its
    /// postgresql.auto.conf) stays held in the restored copy: the restore replaces the data, and with
    /// it that file, but clients must stay out until the restore is verified and traffic switched.
    /// </summary>
    static async Task CarryClientHoldAsync(string replaced, string restored, CancellationToken ct)
    {
        var before = Path.Combine(replaced, "postgresql.auto.conf");
        if (!File.Exists(before)) return;
        var hold = (await File.ReadAllLinesAsync(before, ct)).LastOrDefault(l => l.TrimStart().StartsWith("default_transaction_read_only", StringComparison.Ordinal));
        if (hold is null || !hold.Contains("on", StringComparison.OrdinalIgnoreCase)) return;
        var after = Path.Combine(restored, "postgresql.auto.conf");
        var lines = File.Exists(after) ? (await File.ReadAllLinesAsync(after, ct)).Where(l => !l.TrimStart().StartsWith("default_transaction_read_only", StringComparison.Ordinal)).ToList() : [];
        lines.Add(hold);
        await File.WriteAllLinesAsync(after, lines, ct);
    }

    /// <summary>What the node's data directory says it was restored to, or null.</summary>
    public static string? RestoredTo(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, MarkerFile);
        if (!File.Exists(path)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.TryGetProperty("target", out var t) ? t.GetString() : null;
        }
        catch (JsonException) { return null; }
        catch (IOException) { return null; }
    }

    /// <summary>The last point-in-time restore of this environment, part by part, or null when there was none.</summary>
    public LastRestore? LastRestore()
    {
        var path = Path.Combine(State().ArchiveDirectory, LastRestoreFile);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<LastRestore>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }

    async Task RecordAsync(LastRestore record, CancellationToken ct)
    {
        var path = Path.Combine(State().ArchiveDirectory, LastRestoreFile);
        await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(record, Json), ct);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
