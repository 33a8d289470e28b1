using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Promotion;
using AutoVideo.DR.Recovery.Reports;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// The failover drill: a write workload on the primary, a disaster injected into it, detection by
/// the health probes, the critical runbook (assess, fence, promote, switch clients, verify), and the
/// measured RTO (disaster to verified writable service) and RPO (acknowledged commits missing on the
/// new primary). Ends in the plan's DR test report. With a backup to restore, the replica is treated
/// as unusable: clients are held off, the backup is restored into the promoted standby and verified,
/// and the RPO is the backup's age.
/// </summary>
public sealed class FailoverDrill(ILoggerFactory loggers, Action<string> progress)
{
    readonly ILogger logger = loggers.CreateLogger<FailoverDrill>();

    public async Task<DrillResult> RunAsync(DrillOptions options, CancellationToken ct)
    {
        options.Validate();
        var workDirectory = Path.GetFullPath(options.WorkDirectory);
        var environment = new LocalEnvironment(loggers.CreateLogger<LocalEnvironment>());
        var timeline = new TimelineRecorder(progress);
        var created = false;
        try
        {
            var state = await timeline.StepAsync("prepare the local environment", async () =>
            {
                var existed = LocalEnvironmentState.TryLoad(workDirectory) is not null;
                var ready = await environment.UpAsync(new LocalEnvironmentOptions(workDirectory), ct);
                // Only an environment this drill created is removed after it; a failed up cleaned up itself.
                created = !existed;
                return (ready, created ? $"created primary + standby in {workDirectory}" : $"using the environment in {workDirectory}");
            });
            return await DrillAsync(state, options, timeline, ct);
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

    async Task<DrillResult> DrillAsync(LocalEnvironmentState state, DrillOptions options, TimelineRecorder timeline, CancellationToken ct)
    {
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        var primaryNode = state.NodeWithRole(NodeRole.Primary);
        var standbyNode = state.NodeWithRole(NodeRole.Standby);
        var primary = LocalEnvironment.Server(installation, account, primaryNode);
        var description = state.Describe();
        var objective = RecoveryObjective.For(DisasterLevel.Critical);

        var restore = options.RestoreBackup is null ? null : new BackupRecovery(BackupStore.Open(state.BackupDirectory), loggers);

        await WorkloadSchema.CreateAsync(description.Primary!.ConnectionString, ct);
        await using var workload = new AutoVideoWorkload(description.ClientConnectionString(), options.Writers, logger);
        workload.Start();
        await timeline.StepAsync("workload warm-up", async () =>
        {
            await Task.Delay(options.WarmUpTime, ct);
            if (workload.Ledger.Count == 0) throw new RecoveryException("the workload acknowledged no commit during warm-up; see 'autovideo-dr health'");
            return $"{options.Writers} writers, {workload.Ledger.Count} commits acknowledged on {primaryNode.Name}";
        });
        if (restore is not null)
        {
            await timeline.StepAsync("scheduled backup", async () =>
            {
                var taken = await restore.EnsureBackupAsync(options.RestoreBackup!, description.Standby!.ConnectionString, ct);
                // The workload goes on after the backup: what it commits now is what a restore loses.
                await Task.Delay(options.WarmUpTime / 2, ct);
                return taken;
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
        await timeline.StepAsync("inject disaster", () => Disaster.InjectAsync(options.Disaster, primary, primaryNode.Name, ct));
        var (detected, probes) = await timeline.StepAsync("detect failure", async () =>
        {
            var result = await FailureDetector.Default.WaitForFailureAsync(description.Primary!, TimeSpan.FromSeconds(30), ct);
            return (result, $"{primaryNode.Name} down after {result.Probes} probes: {result.Probe.Detail}");
        });
        var detectionTime = timeline.SinceDisaster;
        await timeline.StepAsync("assess", async () =>
        {
            var probe = new EnvironmentProbe(new DatabaseProbe(TimeSpan.FromSeconds(1)), new ServiceProbe(TimeSpan.FromSeconds(1)));
            var assessment = DisasterAssessment.Assess(await probe.ProbeAsync(description, ct));
            if (assessment.Level != DisasterLevel.Critical)
                throw new RecoveryException($"assessed as {assessment.LevelName}, expected critical: {string.Join("; ", assessment.Reasons)}");
            return $"critical: {string.Join("; ", assessment.Reasons)}";
        });

        // Restoring from a backup, clients are held off until the restored data is verified.
        if (restore is not null) await timeline.StepAsync("hold clients off", async () =>
        {
            await workload.StopAsync();
            return "the workload stops until the restore is verified";
        });
        var promotionStartedAt = DateTimeOffset.UtcNow;
        var promotion = await timeline.StepAsync("fence old primary + promote standby", async () =>
        {
            var result = await new LocalPromotion(loggers.CreateLogger<LocalPromotion>()).PromoteAsync(state.WorkDirectory, ct);
            return (result, $"fence {result.FenceDuration.TotalMilliseconds:0} ms ({result.Fence.Method}); pg_promote until writable {result.PromoteDuration.TotalMilliseconds:0} ms");
        });
        var promoted = LocalEnvironmentState.Load(state.WorkDirectory).Describe();
        await using var resumed = restore is null ? null : new AutoVideoWorkload(promoted.ClientConnectionString(), options.Writers, logger, run: 1);
        if (restore is not null)
        {
            await timeline.StepAsync($"restore {options.RestoreBackup} into {promotion.NewPrimary}", () =>
                restore.RestoreAsync(options.RestoreBackup!, promoted.Primary!, ct));
            resumed!.Start();
        }
        var serving = resumed ?? workload;
        await timeline.StepAsync("switch clients", async () =>
        {
            var port = (await ClientLanding.ProbeAsync(promoted.ClientConnectionString(), ct)).Port;
            if (port != promotion.NewPrimaryPort)
                throw new RecoveryException($"clients reach port {port}, not the new primary's {promotion.NewPrimaryPort}");
            return $"the client connection string ({promoted.ClientConnectionString().Split(';')[0]}) now resolves to {promotion.NewPrimary}:{port}";
        });
        var firstCommit = await timeline.StepAsync("verify writable service", async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            AcknowledgedCommit? commit;
            while ((commit = serving.Ledger.FirstOn(promotion.NewPrimaryPort, promotionStartedAt)) is null)
            {
                if (DateTime.UtcNow > deadline) throw new RecoveryException($"the workload committed nothing on {promotion.NewPrimary} within 30 s of its promotion");
                await Task.Delay(5, ct);
            }
            return (commit, resumed is null
                ? $"the running workload committed on {promotion.NewPrimary} without a restart"
                : $"the workload, let back in, committed on {promotion.NewPrimary}");
        });
        var rto = timeline.SinceDisaster;
        progress($"service restored: RTO {rto.TotalSeconds:0.000} s");

        await Task.Delay(options.AfterRecoveryTime, ct);
        await workload.StopAsync();
        if (resumed is not null) await resumed.StopAsync();
        var ledger = resumed is null ? workload.Ledger : CommitLedger.Combine(workload.Ledger, resumed.Ledger);

        var recovered = await timeline.StepAsync("RPO accounting", async () =>
        {
            var content = await RecoveredContent.LoadAsync(promoted.Primary!.ConnectionString, ct);
            var rpo = RpoAccounting.Account(ledger, content, timeline.DisasterAt);
            return ((content, rpo), $"{rpo.LostCommits} of {rpo.AcknowledgedCommits} acknowledged commits missing (window {rpo.Window.TotalSeconds:0.000} s); {rpo.InDoubtApplied + rpo.InDoubtLost} in doubt");
        });
        var verification = await timeline.StepAsync("verify data", () =>
        {
            var tables = DataVerification.Verify(ledger, recovered.content, recovered.rpo.Lost).Concat(restore?.ManifestChecks ?? []).ToList();
            return Task.FromResult<(IReadOnlyList<TableVerification>, string)>((tables,
                string.Join(", ", tables.Select(t => $"{t.Table} {t.FoundRows}/{t.ExpectedRows}{(t.Passed ? "" : " FAILED")}"))));
        });

        // Restored from a backup, the data is as old as the backup: that age at the disaster is the RPO.
        var rpoAchieved = restore?.Snapshot is { } snapshot ? timeline.DisasterAt - snapshot : recovered.rpo.Window;
        var measurements = new DrillMeasurements(timeline.Steps, rto, detectionTime, recovered.rpo, verification,
            await WalArchive.CheckAsync(state.ArchiveDirectory, ct), ledger.FailedAttempts, firstCommit.AcknowledgedAt - timeline.DisasterAt,
            objective.RtoMet(rto), objective.RpoMet(rpoAchieved), StandbyLeft: true, BackupEvidence: restore?.Evidence);
        var (problems, suggestions) = DrillFindings.Derive(measurements);
        var report = new RecoveryReport(
            Title: restore is null ? "Failover drill" : "Backup restore drill",
            Date: timeline.DisasterAt,
            Type: restore is null ? TestType.Failover : TestType.BackupRestore,
            Scenario: restore is null
                ? $"{options.Disaster.Name()} under a {options.Writers}-writer Auto Video workload, promotion of the streaming standby"
                : $"{options.Disaster.Name()} under a {options.Writers}-writer Auto Video workload, the replica treated as unusable: backup {restore.BackupName} restored into the promoted standby",
            Owner: options.Owner,
            Environment: description.Name,
            Objective: objective,
            ActualRto: rto,
            ActualRpo: rpoAchieved,
            LostCommits: recovered.rpo.LostCommits,
            Timeline: timeline.Steps,
            Checklist: DrillFindings.Checklist(measurements),
            Verification: verification,
            Problems: problems,
            Suggestions: suggestions);
        var files = await RecoveryReportWriter.WriteAsync(report, options.ReportDirectory, $"dr-drill-{timeline.DisasterAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}", ct);
        return new DrillResult(report, files, measurements);
    }
}
