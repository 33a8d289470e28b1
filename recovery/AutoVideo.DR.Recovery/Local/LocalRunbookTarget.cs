using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Promotion;
using AutoVideo.DR.Recovery.Runbooks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// The local environment as a runbook target: nodes are its PostgreSQL servers (and, for the cache
/// steps, its Redis servers: LocalRunbookTarget.Cache.cs). Promotion, fencing and rejoin are the
/// Promotion namespace's; health is the Health namespace's probes. Every check looks at the servers
/// themselves and the recorded roles, never at the journal.
/// </summary>
public sealed partial class LocalRunbookTarget(string workDirectory, ILoggerFactory loggers) : IRunbookTarget
{
    readonly string directory = Path.GetFullPath(workDirectory);

    /// <summary>What a local run restores from: the point-in-time archive (pgBackRest) first, then the logical backups.</summary>
    public static RestoreSources RestoreSources(string workDirectory, ILoggerFactory loggers) =>
        new(new PointInTimeDataRestore(workDirectory, loggers), new Backups.BackupDataRestore(loggers));

    public string Name => $"local:{directory}";

    LocalEnvironmentState State() => LocalEnvironmentState.Load(directory);

    LocalNodeState Node(string name) =>
        State().Nodes.FirstOrDefault(n => n.Name == name)
        ?? throw new RecoveryException($"the local environment in {directory} has no node '{name}' (nodes: {string.Join(", ", State().Nodes.Select(n => n.Name))})");

    static PostgresServer Server(LocalNodeState node) => LocalEnvironment.Server(PostgresInstallation.TryLocate(), ServerAccount.Current(), node);

    public Task<EnvironmentDescription> DescribeAsync(CancellationToken ct) => Task.FromResult(State().Describe());

    public async Task<TargetAssessment> AssessAsync(CancellationToken ct)
    {
        var state = State();
        var health = await new EnvironmentProbe().ProbeConfirmedAsync(state.Describe(), ct);
        var assessment = DisasterAssessment.Assess(health);
        var primary = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary)?.Name;
        var standby = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Standby)?.Name;
        var failed = health.Components.Where(c => c.Kind == ComponentKind.Database && c.IsDown && c.ExpectedRole != NodeRole.Fenced).Select(c => c.Name).ToList();
        var replica = health.Components.FirstOrDefault(c => c.Name == standby);
        var lagLimit = DisasterAssessment.LagLimit.TotalSeconds;
        var (usable, detail) = replica switch
        {
            null => (false, "no standby is recorded"),
            { IsDown: true } => (false, $"{replica.Name} is down: {replica.Detail}"),
            { InRecovery: false } => (false, $"{replica.Name} is not in recovery: {replica.Detail}"),
            { LagSeconds: > 0 } when replica.LagSeconds > lagLimit => (false, $"{replica.Name} replays {replica.LagSeconds:0} s behind, beyond the {lagLimit / 60:0}-minute RPO"),
            _ => (true, $"{replica.Name} in recovery ({replica.Detail})"),
        };
        var point = usable ? await ReplicaPointAsync(Node(standby!), ct) : null;
        var fenced = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Fenced)?.Name;
        return new TargetAssessment(health, assessment, primary, standby, fenced, failed, usable, detail, point, state.Home, await CacheAssessmentAsync(state, health, ct));
    }

    /// <summary>What a standby holds now: everything up to the WAL it received, the newest commit it replayed.</summary>
    async Task<RecoveryPoint?> ReplicaPointAsync(LocalNodeState standby, CancellationToken ct)
    {
        try
        {
            await using var connection = await DatabaseConnection.OpenAsync(Server(standby).ConnectionString(State().Database), standby.Name, ct);
            await using var query = new NpgsqlCommand(
                "SELECT COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), pg_last_xact_replay_timestamp(), (SELECT timeline_id FROM pg_control_checkpoint())", connection);
            await using var reader = await query.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            ulong? lsn = reader.IsDBNull(0) ? null : (ulong)reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(0);
            DateTimeOffset? last = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
            return new RecoveryPoint($"{standby.Name} as it stands", lsn, last, reader.GetInt32(2));
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return null;
        }
    }

    public async Task<DataLoss> LossAfterAsync(RecoveryPoint point, DateTimeOffset noLaterThan, CancellationToken ct)
    {
        var state = State();
        // The primary that was lost: fenced once the promotion happened, still recorded primary before it.
        var lost = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Fenced) ?? state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary);
        var bound = point.LastCommitAt is { } newest
            ? DataLoss.UpperBound(noLaterThan - newest, $"from {point.What}'s newest commit ({newest:HH:mm:ss.fff}Z) to when the failure was seen ({noLaterThan:HH:mm:ss.fff}Z)")
            : null;
        string why;
        if (lost is null) why = "no lost primary is recorded";
        else if (point.Lsn is null) why = $"{point.What} has no known WAL position";
        else if (!Directory.Exists(Path.Combine(lost.DataDirectory, "pg_wal"))) why = $"{lost.Name}'s pg_wal is gone";
        else if (PostgresInstallation.TryLocate() is not { } installation) why = "pg_waldump (PostgreSQL 15) is not installed";
        else
        {
            try
            {
                var timeline = point.Timeline ?? await TimelineOfAsync(installation, lost, ct);
                var pgWal = Path.Combine(lost.DataDirectory, "pg_wal");
                // WAL between the point and the oldest segment pg_wal still holds comes from the archive.
                var fetched = await ArchivedWalBeforeAsync(lost, pgWal, (uint)timeline, point.Lsn.Value, ct);
                LostWal wal;
                try { wal = await WalCommits.AfterAsync(installation, fetched is null ? [pgWal] : [fetched, pgWal], timeline, point.Lsn.Value, ct); }
                finally { if (fetched is not null) Directory.Delete(fetched, recursive: true); }
                var basis = $"commits in {lost.Name}'s WAL (timeline {timeline}) after {new NpgsqlTypes.NpgsqlLogSequenceNumber(point.Lsn.Value)}, {point.What}, read with pg_waldump";
                if (wal.Commits.Count == 0) return DataLoss.Measured(0, TimeSpan.Zero, basis);
                // The data lost spans from the newest commit kept to the newest commit lost.
                var from = point.LastCommitAt is { } kept && kept < wal.First!.Value ? kept : wal.First!.Value - TimeSpan.FromTicks(10);
                return DataLoss.Measured(wal.Commits.Count, wal.Last!.Value - from, $"{basis}; the newest lost commit at {wal.Last:HH:mm:ss.ffffff}Z");
            }
            catch (RecoveryException e)
            {
                why = e.Message;
            }
        }
        return bound is null
            ? DataLoss.Unknown($"the lost primary's WAL cannot be counted ({why}) and {point.What}'s newest commit time is not known")
            : bound with { Basis = $"{bound.Basis}; not counted because {why}" };
    }

    /// <summary>The most archived segments a loss count fetches (1 GiB of WAL); beyond it the loss is bounded, not counted.</summary>
    const int MostFetchedSegments = 64;

    /// <summary>
    /// A directory with the archived segments from the one holding <paramref name="from"/> up to the
    /// oldest one in <paramref name="pgWal"/>; null when pg_wal reaches back far enough by itself.
    /// </summary>
    async Task<string?> ArchivedWalBeforeAsync(LocalNodeState lost, string pgWal, uint timeline, ulong from, CancellationToken ct)
    {
        var held = WalCommits.SegmentsIn(pgWal, (int)timeline).Select(s => s.Segment.Number).ToList();
        var first = from / (ulong)WalSegment.Size;
        // Nothing of the timeline in pg_wal: there is no end to fetch up to, and the count says so itself.
        if (held.Count == 0) return null;
        var oldest = held.Min();
        return oldest <= first ? null : await new LocalPointInTime(directory, loggers).FetchSegmentsAsync(lost, timeline, first, oldest, MostFetchedSegments, ct);
    }

    /// <summary>The timeline a server was on at its latest checkpoint.</summary>
    static async Task<int> TimelineOfAsync(PostgresInstallation installation, LocalNodeState node, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(new System.Diagnostics.ProcessStartInfo(installation.Program("pg_controldata")) { ArgumentList = { "-D", node.DataDirectory } }, ct);
        var line = result.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("Latest checkpoint's TimeLineID:", StringComparison.Ordinal));
        return line is not null && int.TryParse(line.Split(':')[1].Trim(), out var timeline)
            ? timeline
            : throw new RecoveryException($"pg_controldata of {node.Name} names no timeline");
    }

    public async Task<RecoveryPoint?> RecoveredPointAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        if (WalCommits.SwitchPoint(target.DataDirectory) is not { } switched) return null;
        DateTimeOffset? last = null;
        try
        {
            if (await DatabaseConnection.ScalarAsync<DateTime?>(Server(target).ConnectionString(State().Database), "SELECT pg_last_xact_replay_timestamp()", ct) is { } replayed)
                last = new DateTimeOffset(DateTime.SpecifyKind(replayed, DateTimeKind.Utc));
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e)) { }
        return new RecoveryPoint($"{node}'s end of recovery", switched.SwitchPoint, last, switched.OldTimeline);
    }

    /// <summary>
    /// Holds clients off by making the node read-only by default: clients that ask for a read-write
    /// node (the multi-host client string does) skip it and get no host, and a plain write is refused.
    /// The restore and the checks set their own sessions writable.
    /// </summary>
    public async Task<string> HoldClientsAsync(string node, CancellationToken ct)
    {
        var server = Server(Node(node));
        await using var connection = await DatabaseConnection.OpenAsync(server.ConnectionString("postgres"), node, ct);
        await DatabaseConnection.ExecuteAsync(connection, "ALTER SYSTEM SET default_transaction_read_only = on", ct);
        await DatabaseConnection.ExecuteAsync(connection, "SELECT pg_reload_conf()", ct);
        return $"{node} refuses client writes (default_transaction_read_only) until traffic is switched to it";
    }

    public async Task<StepCheck> ClientsHeldAsync(string node, CancellationToken ct)
    {
        try
        {
            var setting = await DatabaseConnection.ScalarAsync<string>(Server(Node(node)).ConnectionString("postgres"), "SHOW default_transaction_read_only", ct);
            return setting == "on" ? StepCheck.Yes($"{node} is read-only for clients") : StepCheck.No($"{node} still accepts client writes");
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return StepCheck.No($"{node} cannot be reached: {DatabaseConnection.Message(e)}");
        }
    }

    async Task ReleaseClientsAsync(LocalNodeState node, CancellationToken ct)
    {
        await using var connection = await DatabaseConnection.OpenAsync(Server(node).ConnectionString("postgres"), node.Name, ct);
        if (await DatabaseConnection.ScalarAsync<string>(connection, "SHOW default_transaction_read_only", ct) != "on") return;
        await DatabaseConnection.ExecuteAsync(connection, "ALTER SYSTEM RESET default_transaction_read_only", ct);
        await DatabaseConnection.ExecuteAsync(connection, "SELECT pg_reload_conf()", ct);
    }

    public async Task<string> StopWritesAsync(string primary, string standby, CancellationToken ct)
    {
        var server = Server(Node(primary));
        if (server.IsRunning())
            // A fast shutdown sends all WAL, including the shutdown checkpoint, to the streaming standby first.
            await server.StopAsync(ct, mode: "fast");
        return $"{primary} stopped cleanly after sending its WAL to {standby}";
    }

    public async Task<StepCheck> CaughtUpAsync(string primary, string standby, CancellationToken ct)
    {
        var stopped = Node(primary);
        if (Server(stopped).IsRunning()) return StepCheck.No($"{primary} still runs");
        if (PostgresInstallation.TryLocate() is not { } installation) return StepCheck.No("pg_controldata (PostgreSQL 15) is not installed");
        var control = await ProcessRunner.RunAsync(new System.Diagnostics.ProcessStartInfo(installation.Program("pg_controldata")) { ArgumentList = { "-D", stopped.DataDirectory } }, ct);
        var location = control.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("Latest checkpoint location:", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        if (location is null || !NpgsqlTypes.NpgsqlLogSequenceNumber.TryParse(location, out var last))
            return StepCheck.No($"pg_controldata of {primary} gives no checkpoint location");
        try
        {
            var replayed = await DatabaseConnection.ScalarAsync<NpgsqlTypes.NpgsqlLogSequenceNumber>(Server(Node(standby)).ConnectionString("postgres"), "SELECT pg_last_wal_replay_lsn()", ct);
            return (ulong)replayed > (ulong)last
                ? StepCheck.Yes($"{standby} replayed {replayed}, past {primary}'s shutdown checkpoint at {last}: it holds every commit")
                : StepCheck.No($"{standby} replayed {replayed}, not yet past {primary}'s shutdown checkpoint at {last}");
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return StepCheck.No($"{standby} cannot be reached: {DatabaseConnection.Message(e)}");
        }
    }

    /// <summary>True/false from the server itself; null when it cannot be reached.</summary>
    async Task<bool?> InRecoveryAsync(LocalNodeState node, CancellationToken ct)
    {
        try
        {
            return await DatabaseConnection.ScalarAsync<bool>(Server(node).ConnectionString(State().Database), "SELECT pg_is_in_recovery()", ct);
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return null;
        }
    }

    public async Task<string> PromoteAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        if ((await IsPrimaryAsync(node, ct)) is { TookEffect: true } done) return $"already primary: {done.Detail}";
        if (target.Role != NodeRole.Standby)
            throw new RecoveryException($"{node} is recorded as {target.Role.Name()}, not standby; only the standby can be promoted");
        if (await InRecoveryAsync(target, ct) == false)
        {
            // Promoted before an interruption, roles not yet recorded: fence the old primary and record them.
            var old = State().NodeWithRole(NodeRole.Primary);
            var fence = await Fence.ApplyAsync(Server(old), target, ServerAccount.Current(), ct);
            State().WithRoles(new Dictionary<string, NodeRole> { [node] = NodeRole.Primary, [old.Name] = NodeRole.Fenced }).Save();
            return $"{node} already accepted writes; recorded it as primary and fenced {old.Name}: {fence.Method}";
        }
        var result = await new LocalPromotion(loggers.CreateLogger<LocalPromotion>()).PromoteAsync(directory, ct);
        return $"{result.NewPrimary} (port {result.NewPrimaryPort}) accepts writes after {result.PromoteDuration.TotalMilliseconds:0} ms; {result.OldPrimary} fenced first: {result.Fence.Method}";
    }

    public async Task<StepCheck> IsPrimaryAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        var inRecovery = await InRecoveryAsync(target, ct);
        return target.Role == NodeRole.Primary && inRecovery == false
            ? StepCheck.Yes($"{node} is recorded primary and accepts writes on port {target.Port}")
            : StepCheck.No($"{node} is recorded {target.Role.Name()} and is {(inRecovery is null ? "unreachable" : inRecovery.Value ? "in recovery" : "writable")}");
    }

    public async Task<string> FenceAsync(string node, string newPrimary, CancellationToken ct)
    {
        if ((await IsFencedAsync(node, ct)) is { TookEffect: true } done) return $"already fenced: {done.Detail}";
        var fence = await Fence.ApplyAsync(Server(Node(node)), Node(newPrimary), ServerAccount.Current(), ct);
        State().WithRoles(new Dictionary<string, NodeRole> { [node] = NodeRole.Fenced }).Save();
        return fence.Method;
    }

    public Task<StepCheck> IsFencedAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        var marked = Fence.IsFenced(target.DataDirectory);
        var running = Server(target).IsRunning();
        return Task.FromResult(target.Role == NodeRole.Fenced && marked && !running
            ? StepCheck.Yes($"{node} is stopped, recorded fenced, and would start read-only")
            : StepCheck.No($"{node}: role {target.Role.Name()}, fence marker {(marked ? "present" : "absent")}, {(running ? "running" : "stopped")}"));
    }

    public async Task<string> IsolateAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        var server = Server(target);
        var wasRunning = server.IsRunning();
        if (wasRunning) await server.StopAsync(ct, mode: "immediate");
        if (target.Role == NodeRole.Primary && State().Nodes.FirstOrDefault(n => n.Role == NodeRole.Standby) is { } standby)
        {
            // A failed primary must not come back writable while the standby takes over.
            await Fence.ApplyAsync(server, standby, ServerAccount.Current(), ct);
            return $"{node} {(wasRunning ? "stopped" : "was down")}; fence marker written in favour of {standby.Name}";
        }
        return $"{node} {(wasRunning ? "stopped" : "was already down")}";
    }

    public Task<StepCheck> IsIsolatedAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        var running = Server(target).IsRunning();
        var needsFence = target.Role == NodeRole.Primary;
        var fenced = Fence.IsFenced(target.DataDirectory);
        return Task.FromResult(!running && (!needsFence || fenced)
            ? StepCheck.Yes($"{node} is out of service{(fenced ? " and fenced" : "")}")
            : StepCheck.No($"{node} is {(running ? "still running" : "stopped but not fenced")}"));
    }

    public async Task<string> RejoinAsync(string node, CancellationToken ct)
    {
        if ((await IsStreamingStandbyAsync(node, ct)) is { TookEffect: true } done) return $"already a standby: {done.Detail}";
        var state = State();
        var target = Node(node);
        if (target.Role == NodeRole.Fenced)
        {
            // Rejoin falls back to a base backup itself when a rewound node will not start.
            var result = await new Rejoin(loggers.CreateLogger<Rejoin>()).RejoinAsync(directory, forceBaseBackup: false, ct);
            return $"{result.Node} streams from {result.Primary} ({result.Method}, {result.Duration.TotalSeconds:0.0} s)";
        }
        if (target.Role == NodeRole.Standby)
        {
            // A failed standby has nothing worth rewinding: a fresh copy of the primary.
            var primary = state.NodeWithRole(NodeRole.Primary);
            await Server(target).StopAsync(ct, mode: "immediate");
            await new LocalEnvironment(loggers.CreateLogger<LocalEnvironment>())
                .StandbyFromBaseBackupAsync(PostgresInstallation.Locate(), ServerAccount.Current(), primary, target, state.ArchiveDirectory, ct);
            return $"{node} rebuilt from a base backup of {primary.Name} and streaming";
        }
        throw new RecoveryException($"{node} is the primary; it cannot rejoin as a standby of itself");
    }

    public async Task<StepCheck> IsStreamingStandbyAsync(string node, CancellationToken ct)
    {
        var state = State();
        var target = Node(node);
        var primary = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary);
        var health = await new DatabaseProbe().ProbeAsync(state.Describe().Databases.First(d => d.Name == node), primary is null ? null : state.Describe().Primary?.ConnectionString, ct);
        return target.Role == NodeRole.Standby && health is { InRecovery: true, Status: ComponentStatus.Healthy }
            ? StepCheck.Yes($"{node} streams from {primary?.Name} ({(health.LagBytes is { } lag ? $"{lag} bytes behind" : "lag unknown: the primary did not answer for its position")})")
            : StepCheck.No($"{node}: role {target.Role.Name()}, {health.Detail}");
    }

    public async Task<string> RestartAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        var server = Server(target);
        if (server.IsRunning()) return $"{node} already runs";
        try
        {
            await server.StartAsync(ct);
            return $"{node} started again on port {target.Port}";
        }
        catch (RecoveryException e) when (target.Role == NodeRole.Standby)
        {
            return $"{node} would not start ({e.Message}); " + await RejoinAsync(node, ct);
        }
    }

    public async Task<string> SwitchTrafficAsync(string node, CancellationToken ct)
    {
        // Locally, clients use the multi-host string asking for the read-write node, over every
        // node that is not fenced: recording the roles is the switch, and releasing a hold lets them in.
        await ReleaseClientsAsync(Node(node), ct);
        var check = await TrafficReachesAsync(node, ct);
        return $"clients connect with '{ClientConnectionString()}': {check.Detail}";
    }

    string ClientConnectionString() =>
        new NpgsqlConnectionStringBuilder(State().Describe().ClientConnectionString()) { Pooling = false, Timeout = 3 }.ConnectionString;

    public async Task<StepCheck> TrafficReachesAsync(string node, CancellationToken ct)
    {
        var target = Node(node);
        try
        {
            var landing = await ClientLanding.ProbeAsync(ClientConnectionString(), ct);
            return landing.Port == target.Port && !landing.InRecovery
                ? StepCheck.Yes($"the client connection string resolves to {node} (port {landing.Port}), which accepts writes")
                : StepCheck.No($"the client connection string resolves to port {landing.Port}{(landing.InRecovery ? " (in recovery)" : "")}, not {node} (port {target.Port})");
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return StepCheck.No($"the client connection string reaches no writable node: {DatabaseConnection.Message(e)}");
        }
    }

    public async Task<StepCheck> VerifyAsync(bool requireStandby, CancellationToken ct)
    {
        var state = State();
        var primary = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Primary);
        if (primary is null) return StepCheck.No("no node is recorded as primary");
        string written;
        try
        {
            // A real write and read on the primary, in a temporary table: proves writes without leaving data behind.
            // The operator's check writes even while clients are held off (default_transaction_read_only):
            // the session's own setting, before the statements' transaction starts.
            await using var connection = await DatabaseConnection.OpenAsync(Server(primary).ConnectionString(state.Database), primary.Name, ct);
            await DatabaseConnection.ExecuteAsync(connection, "SET default_transaction_read_only = off", ct);
            written = (await DatabaseConnection.ScalarAsync<string>(connection, """
                CREATE TEMP TABLE autovideo_dr_verification(at timestamptz);
                INSERT INTO autovideo_dr_verification VALUES (now());
                SELECT (SELECT count(*) FROM autovideo_dr_verification) || ' probe row, ' || (SELECT count(*) FROM pg_stat_user_tables) || ' user tables readable'
                """, ct))!;
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return StepCheck.No($"primary {primary.Name} does not accept a write: {DatabaseConnection.Message(e)}");
        }
        var standby = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Standby);
        if (requireStandby)
        {
            if (standby is null) return StepCheck.No($"primary {primary.Name} writes ({written}) but no standby is recorded");
            var replica = await IsStreamingStandbyAsync(standby.Name, ct);
            if (!replica.TookEffect) return StepCheck.No($"primary {primary.Name} writes ({written}) but {replica.Detail}");
            return StepCheck.Yes($"primary {primary.Name} writes ({written}); {replica.Detail}");
        }
        return StepCheck.Yes($"primary {primary.Name} writes ({written})");
    }
}
