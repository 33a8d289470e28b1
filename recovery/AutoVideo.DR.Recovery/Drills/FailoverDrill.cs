using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Reports;
using AutoVideo.DR.Recovery.Runbooks;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// The failover drill: a write workload on the primary, a disaster injected into it, detection by
/// the health probes, then the very runbook a real failover of the disaster's level runs (critical for
/// the database, <see cref="CriticalRunbook"/>; major for the cache, <see cref="MajorRunbook"/>; through
/// <see cref="RunbookExecutor"/>, same steps, same journal), and around it what only a drill can know:
/// every commit (and, for kill-redis, every cache write) the clients saw acknowledged. Its report is the runbook's incident report
/// with the drill's own sections: the ledger (the measured data loss), per-table verification and the
/// timeline from the disaster. With a backup to restore, the runbook is told to restore it
/// (--restore-from), as an operator who judged the replica unusable would.
/// </summary>
public sealed class FailoverDrill(ILoggerFactory loggers, Action<string> progress)
{
    readonly ILogger logger = loggers.CreateLogger<FailoverDrill>();

    public async Task<DrillResult> RunAsync(DrillOptions options, CancellationToken ct)
    {
        options.Validate();
        // A whole drill's report must not be lost at the end for want of a writable place: check first.
        RecoveryReportWriter.EnsureWritable(options.ReportDirectory);
        var workDirectory = Path.GetFullPath(options.WorkDirectory);
        var environment = new LocalEnvironment(loggers.CreateLogger<LocalEnvironment>());
        var timeline = new TimelineRecorder(progress);
        var created = false;
        // The on-call end of the alert path: Alertmanager posts here.
        await using var pager = options.Detect == DetectionMethod.Alert ? AlertWebhookListener.Start() : null;
        try
        {
            var state = await timeline.StepAsync("prepare the local environment", async () =>
            {
                var existing = LocalEnvironmentState.TryLoad(workDirectory);
                var running = existing?.Nodes.Any(n => LocalEnvironment.Server(null, ServerAccount.Current(), n).IsRunning()) == true;
                LocalEnvironmentState ready;
                if (!running)
                {
                    ready = await environment.UpAsync(new LocalEnvironmentOptions(workDirectory, Monitoring: pager is not null, AlertWebhook: pager?.Url), ct);
                    // Only an environment this drill created is removed after it; a failed up cleaned up itself.
                    created = existing is null;
                }
                else if (pager is null) ready = existing!;
                else if (existing!.Monitoring?.AnyRunning == true) ready = await LocalMonitoring.RouteAlertsAsync(workDirectory, pager.Url, ct);
                else ready = await environment.UpAsync(new LocalEnvironmentOptions(workDirectory, Monitoring: true, AlertWebhook: pager.Url), ct);
                var monitoring = pager is null ? "" : ", with Prometheus, the PostgreSQL exporters and Alertmanager paging this drill";
                return (ready, (created ? $"created primary + standby in {workDirectory}" : $"using the environment in {workDirectory}") + monitoring);
            });
            return await DrillAsync(state, options, timeline, pager, ct);
        }
        finally
        {
            if (created)
            {
                progress("removing the drill's local environment");
                await environment.DownAsync(workDirectory, keepData: false, CancellationToken.None);
            }
        }
    }

    async Task<DrillResult> DrillAsync(LocalEnvironmentState state, DrillOptions options, TimelineRecorder timeline, AlertWebhookListener? pager, CancellationToken ct)
    {
        var primaryNode = state.NodeWithRole(NodeRole.Primary);
        var standbyNode = state.NodeWithRole(NodeRole.Standby);
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        var description = state.Describe();
        var level = options.Disaster.Level();
        var objective = RecoveryObjective.For(level);

        await WorkloadSchema.CreateAsync(description.Primary!.ConnectionString, ct);
        await using var workload = new AutoVideoWorkload(description.ClientConnectionString(), options.Writers, logger);
        workload.Start();
        // A cache disaster: the cache's own workload and ledger, beside the database's.
        await using var cacheWorkload = options.Disaster.HitsCache() ? new CacheWorkload(() => CacheEndpointNow(state.WorkDirectory), options.Writers, logger) : null;
        cacheWorkload?.Start();
        await timeline.StepAsync("workload warm-up", async () =>
        {
            await Task.Delay(options.WarmUpTime, ct);
            if (workload.Ledger.Count == 0) throw new RecoveryException("the workload acknowledged no commit during warm-up; see 'autovideo-dr health'");
            if (cacheWorkload is { Ledger.Count: 0 }) throw new RecoveryException("the cache workload acknowledged no write during warm-up; see 'autovideo-dr health'");
            return $"{options.Writers} writers, {workload.Ledger.Count} commits acknowledged on {primaryNode.Name}"
                + (cacheWorkload is null ? "" : $"; {options.Writers} cache writers, {cacheWorkload.Ledger.Count} writes acknowledged");
        });
        if (options.RestoreBackup is { } requested)
        {
            await timeline.StepAsync("scheduled backup", async () =>
            {
                var taken = await EnsureBackupAsync(state, requested, ct);
                // The workload goes on after the backup: what it commits now is what a restore loses.
                await Task.Delay(options.WarmUpTime / 2, ct);
                return taken;
            });
        }
        // The damage a point-in-time restore is for: a DELETE without WHERE, replicated to the standby
        // at once, so only the archive still holds the rows. The target is the moment just before it.
        Damage? damage = null;
        if (options.RestoreBeforeDamage)
        {
            damage = await timeline.StepAsync("destructive statement", async () =>
            {
                var primary = description.Primary!.ConnectionString;
                await using var connection = await DatabaseConnection.OpenAsync(primary, "primary", ct);
                // timestamptz reads as a UTC DateTime.
                var before = new DateTimeOffset(await DatabaseConnection.ScalarAsync<DateTime>(connection, "SELECT clock_timestamp()", ct), TimeSpan.Zero);
                if (before == default) throw new RecoveryException("the primary did not say what time it is (SELECT clock_timestamp())");
                var deleted = await DatabaseConnection.ExecuteAsync(connection, "DELETE FROM render_jobs", ct);
                // The workload goes on after the damage (at least 2 s: the check that nothing after the
                // moment came back needs commits over a second after it); then the archive receives all of it.
                await Task.Delay(TimeSpan.FromTicks(Math.Max((options.WarmUpTime / 2).Ticks, TimeSpan.FromSeconds(2).Ticks)), ct);
                var segment = await ArchiveCurrentSegmentAsync(state, ct);
                var made = new Damage(before, deleted);
                return (made, $"DELETE FROM render_jobs (no WHERE) removed {deleted} rows just after {before:HH:mm:ss.ffffff}Z; WAL up to segment {segment} archived");
            });
        }
        if (options.DetachStandbyBeforeDisaster)
        {
            await timeline.StepAsync("detach the standby (induced lag)", async () =>
            {
                await ReplicationLink.DetachAsync(LocalEnvironment.Server(installation, account, standbyNode), ct);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                return "streaming and archive replay stopped; the primary goes on taking writes";
            });
        }

        timeline.MarkDisaster();
        if (cacheWorkload is not null) await InjectIntoCacheAsync(state, options.Disaster, timeline, ct);
        else
        {
            await timeline.StepAsync("inject disaster", () => Disaster.InjectAsync(options.Disaster, LocalEnvironment.Server(installation, account, primaryNode), primaryNode.Name, ct));
            await timeline.StepAsync("detect failure", async () =>
            {
                if (pager is not null)
                {
                    // The plan's path: the exporter's scrape fails, the rule fires after its for:, Alertmanager pages.
                    var alert = await pager.WaitForAsync("AutoVideoDatabaseDown", DrillOptions.DetectionTarget, ct, a => a.Instance == $"{PostgresServer.Host}:{primaryNode.Port}");
                    return $"{alert.Name} ({alert.Severity}) reached the on-call webhook through receiver '{alert.Receiver}': {alert.Annotations.GetValueOrDefault("summary")}";
                }
                var result = await FailureDetector.Default.WaitForFailureAsync(description.Primary!, TimeSpan.FromSeconds(30), ct);
                return $"{primaryNode.Name} down after {result.Probes} probes: {result.Probe.Detail}";
            });
        }
        var detectionTime = timeline.SinceDisaster;

        // The real runbook of the disaster's level, exactly as 'autovideo-dr failover --level <level>' runs it.
        var journals = Journal.DirectoryIn(state.WorkDirectory);
        var runbook = RunbookCatalog.Failover(level, new LocalRunbookTarget(state.WorkDirectory, loggers), LocalRunbookTarget.RestoreSources(state.WorkDirectory, loggers), new IncidentReport(journals));
        var runStartedAt = DateTimeOffset.UtcNow;
        var runbookFailure = (string?)null;
        try
        {
            await new RunbookExecutor(journals, loggers.CreateLogger<RunbookExecutor>(), progress)
                .RunAsync(runbook, new RunRequest(options.Owner, RestoreFrom: damage is { } d ? $"{RecoveryTarget.SourcePrefix}{d.Before.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffff}Z" : options.RestoreBackup), ct);
        }
        catch (RecoveryException e)
        {
            runbookFailure = e.Message;
            progress($"the runbook failed: {e.Message}");
        }
        var incident = Incident.Load(journals).Incident;
        // A drill's failed run is evidence, not an incident to resume: close it so the next run starts afresh.
        if (!incident.IsFinished) incident = IncidentUpdates.Abort(journals, "autovideo-dr drill", $"the drill ended: {runbookFailure}");

        // Service is back when the running workload commits on the new primary (after any hold is released);
        // for a cache disaster, when the cache workload writes to the new cache primary.
        AcknowledgedCommit? firstCommit = null;
        if (runbookFailure is null)
        {
            var now = LocalEnvironmentState.Load(state.WorkDirectory);
            var (servingNode, port, ledgerNow, what) = cacheWorkload is null
                ? (now.NodeWithRole(NodeRole.Primary).Name, now.NodeWithRole(NodeRole.Primary).Port, workload.Ledger, "committed")
                : (now.Caches!.First(c => c.Role == NodeRole.Primary).Name, now.Caches!.First(c => c.Role == NodeRole.Primary).Port, cacheWorkload.Ledger, "wrote");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((firstCommit = ledgerNow.FirstOn(port, runStartedAt)) is null && DateTime.UtcNow < deadline)
                await Task.Delay(5, ct);
            if (firstCommit is null) runbookFailure = $"the {(cacheWorkload is null ? "" : "cache ")}workload {what} nothing on {servingNode} within 30 s of the runbook's end";
        }
        var rto = firstCommit is { } first ? first.AcknowledgedAt - timeline.DisasterAt : timeline.SinceDisaster;
        progress(firstCommit is null ? "service not restored" : $"service restored: RTO {rto.TotalSeconds:0.000} s");

        await Task.Delay(options.AfterRecoveryTime, ct);
        await workload.StopAsync();
        if (cacheWorkload is not null) await cacheWorkload.StopAsync();
        var ledger = workload.Ledger;
        var serving = LocalEnvironmentState.Load(state.WorkDirectory).Describe().Primary ?? description.Standby!;
        var recovered = await timeline.StepAsync("RPO accounting", async () =>
        {
            RecoveredContent content;
            try { content = await RecoveredContent.LoadAsync(serving.ConnectionString, ct); }
            catch (RecoveryException e) when (runbookFailure is not null)
            {
                // Nothing serves to count against: say both, rather than a report of figures never measured.
                throw new RecoveryException($"the runbook failed ({runbookFailure}), and no database answers for the drill's accounting: {e.Message}", e);
            }
            var rpo = RpoAccounting.Account(ledger, content, timeline.DisasterAt);
            return ((content, rpo), $"{rpo.LostCommits} of {rpo.AcknowledgedCommits} acknowledged commits missing on {serving.Name}; {rpo.InDoubtApplied + rpo.InDoubtLost} in doubt");
        });
        var verification = await timeline.StepAsync("verify data", () =>
        {
            var tables = DataVerification.Verify(ledger, recovered.content, recovered.rpo.Lost);
            return Task.FromResult<(IReadOnlyList<TableVerification>, string)>((tables,
                string.Join(", ", tables.Select(t => $"{t.Table} {t.FoundRows}/{t.ExpectedRows}{(t.Passed ? "" : " FAILED")}"))));
        });

        if (damage is { } done && runbookFailure is null)
        {
            await timeline.StepAsync("damage undone", async () =>
            {
                var rows = await DatabaseConnection.ScalarAsync<long>(serving.ConnectionString, "SELECT count(*) FROM render_jobs", ct);
                // A commit acknowledged after the moment may have committed on the server just before it: a
                // second's margin. Only the old primary's commits count: the workload writes on the restored one.
                var before = ledger.Acknowledged.Where(c => c.AcknowledgedAt < done.Before).ToList();
                var after = ledger.Acknowledged.Where(c => c.AcknowledgedAt > done.Before.AddSeconds(1) && c.ServerPort == primaryNode.Port).ToList();
                var missing = before.Count(c => recovered.rpo.Lost.Contains(c.Sequence));
                var present = after.Count(c => !recovered.rpo.Lost.Contains(c.Sequence));
                var detail = $"{rows} render_jobs rows on {serving.Name} ({done.Deleted} deleted by the DELETE); {missing} of {before.Count} commits acknowledged before {done.Before:HH:mm:ss.ffffff}Z missing, {present} of {after.Count} acknowledged by {primaryNode.Name} over a second after it present";
                if (rows < done.Deleted || missing > 0 || present > 0)
                    throw new RecoveryException($"the restore to before the DELETE is wrong: {detail}");
                return detail;
            });
        }
        var loss = DataLoss.Measured(recovered.rpo.LostCommits, recovered.rpo.Window,
            $"the drill's ledger: {recovered.rpo.LostCommits} of {recovered.rpo.AcknowledgedCommits} acknowledged commits missing on {serving.Name}");
        // A cache disaster: the cache's figures lead the report; the database's stand beside them.
        var (rpo, headline, tables, runbookLoss, failedAttempts, standbyLeft) = (recovered.rpo, loss, verification, incident.DataLoss, ledger.FailedAttempts, true);
        ReportSection? databaseBeside = null;
        if (cacheWorkload is not null)
        {
            var cache = await AccountCacheAsync(state.WorkDirectory, cacheWorkload.Ledger, timeline, ct);
            (rpo, headline, tables, runbookLoss, failedAttempts) = (cache.Rpo, cache.Loss, [.. cache.Tables, .. verification],
                incident.CacheDataLoss ?? DataLoss.Unknown("the runbook recorded no cache data loss") with { Unit = "write" }, cacheWorkload.Ledger.FailedAttempts);
            standbyLeft = LocalEnvironmentState.Load(state.WorkDirectory).Caches?.Any(c => c.Role == NodeRole.Standby) != true;
            databaseBeside = DatabaseBeside(ledger, recovered.rpo, verification, timeline.DisasterAt);
        }
        var steps = Timeline(timeline, incident);
        var restoreStep = incident.Steps.FirstOrDefault(s => s.Id == "restore-data" && s.Outcome == StepOutcome.Completed);
        var measurements = new DrillMeasurements(steps, rto, detectionTime, options.Detect, rpo, headline, tables,
            await WalArchive.CheckAsync(state.ArchiveDirectory, ct), failedAttempts, rto,
            objective.RtoMet(rto) && firstCommit is not null, headline.Met(objective) == true, StandbyLeft: standbyLeft,
            BackupEvidence: restoreStep?.Output, RunbookLoss: runbookLoss, RunbookFailure: runbookFailure);
        var (problems, suggestions) = DrillFindings.Derive(measurements);
        var restored = options.RestoreBackup is not null;
        var report = IncidentReport.ToRecoveryReport(incident, DateTimeOffset.UtcNow) with
        {
            Title = restored ? "Backup restore drill" : cacheWorkload is not null ? "Cache failover drill" : "Failover drill",
            Date = timeline.DisasterAt,
            Type = restored ? TestType.BackupRestore : TestType.Failover,
            Scenario = restored
                ? damage is { } harmed
                    ? $"a DELETE without WHERE on render_jobs ({harmed.Deleted} rows) under a {options.Writers}-writer Auto Video workload, replicated to the standby; then {options.Disaster.Name()}: the runbook restores the standby's node from the WAL archive to {harmed.Before:yyyy-MM-dd HH:mm:ss.ffffff}Z, just before the DELETE"
                    : RecoveryTarget.IsSource(options.RestoreBackup!)
                    ? $"{options.Disaster.Name()} under a {options.Writers}-writer Auto Video workload, the replica treated as unusable: the runbook restores the standby's node to {options.RestoreBackup} from the WAL archive"
                    : $"{options.Disaster.Name()} under a {options.Writers}-writer Auto Video workload, the replica treated as unusable: the runbook restores backup {options.RestoreBackup} into the promoted standby"
                : cacheWorkload is not null
                ? $"{options.Disaster.Name()} under a {options.Writers}-writer Auto Video workload on the database and {options.Writers} writers on the cache: the major runbook promotes the cache replica while the database serves"
                : $"{options.Disaster.Name()} under a {options.Writers}-writer Auto Video workload, {(options.DetachStandbyBeforeDisaster ? "the standby cut off before it, " : "")}the critical runbook promotes the streaming standby",
            Owner = options.Owner,
            ActualRto = rto,
            DataLoss = headline,
            Timeline = steps,
            Checklist = DrillFindings.Checklist(measurements),
            Verification = tables,
            Problems = problems,
            Suggestions = suggestions,
            Sections = [DrillFindings.LedgerSection(measurements, incident), .. databaseBeside is null ? Array.Empty<ReportSection>() : [databaseBeside]],
        };
        var files = await RecoveryReportWriter.WriteAsync(report, options.ReportDirectory, $"dr-drill-{timeline.DisasterAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}", ct);
        return new DrillResult(report, files, measurements, incident);
    }

    /// <summary>Where clients' cache endpoint leads now (it follows the recorded cache primary).</summary>
    static Environments.CacheEndpoint? CacheEndpointNow(string workDirectory) =>
        LocalEnvironmentState.TryLoad(workDirectory)?.Describe().CacheEndpoint is { } endpoint ? Environments.CacheEndpoint.Parse(endpoint) : null;

    /// <summary>kill-redis: SIGKILL to the Redis primary, then detection by the cache probe (3 consecutive failures, 50 ms apart).</summary>
    static async Task InjectIntoCacheAsync(LocalEnvironmentState state, DisasterKind disaster, TimelineRecorder timeline, CancellationToken ct)
    {
        var primary = state.Caches?.FirstOrDefault(c => c.Role == NodeRole.Primary)
            ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no Redis primary to fail");
        await timeline.StepAsync("inject disaster", () => Task.FromResult(Disaster.Inject(disaster, Cache.LocalCache.Server(primary), primary.Name)));
        await timeline.StepAsync("detect failure", async () =>
        {
            var node = state.Describe().CacheNodes!.Single(c => c.Name == primary.Name);
            var result = await FailureDetector.Default.WaitForFailureAsync(node, TimeSpan.FromSeconds(30), ct);
            return $"{primary.Name} down after {result.Probes} probes: {result.Probe.Detail}";
        });
    }

    /// <summary>The cache's RPO from its ledger: acknowledged writes missing on the serving cache primary, and every surviving one compared.</summary>
    static Task<(RpoResult Rpo, DataLoss Loss, IReadOnlyList<TableVerification> Tables)> AccountCacheAsync(string workDirectory, CommitLedger ledger, TimelineRecorder timeline, CancellationToken ct) =>
        timeline.StepAsync("cache RPO accounting", async () =>
        {
            var state = LocalEnvironmentState.Load(workDirectory);
            var primary = state.Caches!.First(c => c.Role == NodeRole.Primary);
            var content = await RecoveredContent.LoadCacheAsync(Cache.LocalCache.Server(primary).Endpoint, ledger, ct);
            var rpo = RpoAccounting.Account(ledger, content, timeline.DisasterAt);
            var tables = DataVerification.Verify(ledger, content, rpo.Lost, [CacheWorkload.Table]);
            var loss = DataLoss.Measured(rpo.LostCommits, rpo.Window,
                $"the drill's cache ledger: {rpo.LostCommits} of {rpo.AcknowledgedCommits} acknowledged writes missing on {primary.Name}") with { Unit = "write" };
            return ((rpo, loss, tables), $"{rpo.LostCommits} of {rpo.AcknowledgedCommits} acknowledged cache writes missing on {primary.Name}; {rpo.InDoubtApplied + rpo.InDoubtLost} in doubt");
        });

    /// <summary>The database beside a cache disaster: it was not failed; its ledger shows whether its clients noticed.</summary>
    static ReportSection DatabaseBeside(CommitLedger ledger, RpoResult rpo, IReadOnlyList<TableVerification> tables, DateTimeOffset disasterAt)
    {
        var after = ledger.Acknowledged.Where(c => c.AcknowledgedAt >= disasterAt).Select(c => c.AcknowledgedAt).Order().Prepend(disasterAt).ToList();
        var gap = after.Zip(after.Skip(1), (a, b) => (From: a, Wait: b - a)).MaxBy(g => g.Wait);
        return new("資料庫 (the database beside the cache)",
        [
            $"RTO: none needed: the database was not failed; {after.Count - 1} commits acknowledged after the disaster; "
                + (after.Count > 1 ? $"the longest wait for the next one: {gap.Wait.TotalMilliseconds:0} ms, from {(gap.From - disasterAt).TotalSeconds:0.000} s after the disaster" : "none, so its service is not shown"),
            $"data loss measured by its ledger: {rpo.LostCommits} of {rpo.AcknowledgedCommits} acknowledged commits missing",
            $"tables verified: {string.Join(", ", tables.Select(t => $"{t.Table} {t.FoundRows}/{t.ExpectedRows}{(t.Passed ? "" : " FAILED")}"))}",
        ]);
    }

    /// <summary>For "latest" with an empty store, takes the scheduled backup from the standby, as the backup CronJob would have.</summary>
    async Task<string> EnsureBackupAsync(LocalEnvironmentState state, string requested, CancellationToken ct)
    {
        // A point in time: 'local up' took the first physical backup and archives WAL since. The drill
        // does what archive_timeout (60 s) does on schedule: closes the current segment and waits until
        // the archive holds it; what the workload commits after it is what the archive can lose.
        if (RecoveryTarget.IsSource(requested))
        {
            var segment = await ArchiveCurrentSegmentAsync(state, ct);
            var windows = await new LocalPointInTime(state.WorkDirectory, loggers).WindowsAsync(ct);
            return $"WAL segment {segment} switched and archived; restoring {requested} from the WAL archive: " + string.Join("; ", windows.Select(w => w.IsEmpty
                ? $"repository {w.Repository} ({w.Location}): nothing to restore to{(w.Problem is { } p ? $" ({p})" : "")}"
                : $"repository {w.Repository} ({w.Location}): {w.Backups.Count} physical backups, recoverable from {w.Earliest:HH:mm:ss.fff}Z to {w.Latest:HH:mm:ss.fff}Z"));
        }
        var store = BackupStore.Open(state.BackupDirectory);
        var complete = (await new BackupCatalog(store).ListAsync(ct)).Where(e => e.Manifest is not null).ToList();
        if (requested != "latest" || complete.Count > 0)
            return $"restoring {requested} from {store.Location} ({complete.Count} complete backups there)";
        var manifest = await new BackupWriter(loggers.CreateLogger<BackupWriter>()).BackupAsync(state.Describe().Standby!.ConnectionString, store, new BackupOptions(), ct);
        return $"{manifest.Name} taken from the standby into {store.Location}: {manifest.Tables.Count} tables, {manifest.TotalSize} bytes";
    }

    /// <summary>Closes the primary's current WAL segment (what archive_timeout does on schedule) and waits until the archive holds it.</summary>
    static async Task<string> ArchiveCurrentSegmentAsync(LocalEnvironmentState state, CancellationToken ct)
    {
        var primary = state.Describe().Primary!.ConnectionString;
        var segment = await DatabaseConnection.ScalarAsync<string>(primary, "SELECT pg_walfile_name(pg_switch_wal())", ct);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (string.CompareOrdinal(await DatabaseConnection.ScalarAsync<string>(primary, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", ct), segment) < 0)
        {
            if (DateTime.UtcNow > deadline) throw new RecoveryException($"WAL segment {segment} was not archived within 60 s; see pg_stat_archiver and the pgBackRest log in {state.ArchiveDirectory}");
            await Task.Delay(50, ct);
        }
        return segment!;
    }

    /// <summary>The drill's damage: the server's time just before its DELETE, and how many rows it removed.</summary>
    sealed record Damage(DateTimeOffset Before, int Deleted);

    /// <summary>The drill's own steps and the runbook's steps on one axis, measured from the disaster.</summary>
    static IReadOnlyList<TimelineStep> Timeline(TimelineRecorder timeline, Incident incident) =>
        timeline.Steps
            .Concat(incident.Steps.Where(s => s.StartedAt is not null).Select(s => new TimelineStep(
                $"runbook: {s.Id}",
                s.StartedAt!.Value - timeline.DisasterAt,
                (s.EndedAt ?? s.StartedAt.Value) - s.StartedAt.Value,
                s.Outcome is StepOutcome.Completed or StepOutcome.Skipped,
                $"{s.Outcome.Name()}: {s.Output}")))
            .OrderBy(s => s.Start)
            .ToList();
}
