using System.Text.Json;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Drills;
using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Runbooks;

/// <summary>
/// The critical runbook on a real local environment, where a figure could be wrong: a standby cut off
/// while the primary kept committing, a restore while clients keep writing, a crash right after a
/// restore, a healthy system, a planned switchover under load, and two sources to choose from.
/// </summary>
public sealed class HonestFiguresTests
{
    static Task<CliResult> Cli(OwnEnvironment environment, params string[] args) => CliRunner.RunAsync([.. args, "--workdir", environment.WorkDirectory]);

    static JsonElement Status(CliResult status) => JsonDocument.Parse(status.Out).RootElement;

    static async Task CommitAsync(string connectionString, int from, int count)
    {
        await using var connection = await DatabaseConnection.OpenAsync(connectionString, "primary", CancellationToken.None);
        for (var i = from; i < from + count; i++)
            await DatabaseConnection.ExecuteAsync(connection, $"INSERT INTO jobs VALUES ({i})", CancellationToken.None);
    }

    static async Task<OwnEnvironment> WithJobsAsync()
    {
        var environment = await OwnEnvironment.StartAsync();
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "CREATE TABLE jobs (id int PRIMARY KEY)");
        await CommitAsync(environment.ConnectionString("pg-a"), 1, 5);
        await environment.WaitForStandbyAsync();
        return environment;
    }

    [Fact]
    public async Task A_standby_cut_off_while_the_primary_kept_committing_reports_the_commits_it_lost_never_zero()
    {
        await using var environment = await WithJobsAsync();
        await ReplicationLink.DetachAsync(environment.Server("pg-b"), CancellationToken.None);
        await CommitAsync(environment.ConnectionString("pg-a"), 100, 20);
        environment.Server("pg-a").Kill();

        var result = await Cli(environment, "failover", "--level", "critical");

        Assert.True(result.ExitCode == 0, result.ToString());
        var loss = Status(await Cli(environment, "incident", "status", "--json")).GetProperty("dataLoss");
        Assert.Equal("measured", loss.GetProperty("kind").GetString());
        Assert.True(loss.GetProperty("lostCommits").GetInt64() >= 20, loss.ToString());
        Assert.True(loss.GetProperty("seconds").GetDouble() > 0, loss.ToString());
        Assert.Equal(5L, await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM jobs"));
        var report = await File.ReadAllTextAsync(Directory.GetFiles(Journal.DirectoryIn(environment.WorkDirectory), "*-report.md").Single());
        Assert.Matches(@"\*\*實際數據遺失\*\*: \d+ acknowledged commits lost, spanning 0\.0*[1-9]", report);
    }

    [Fact]
    public async Task Writes_during_a_runbook_restore_are_refused_or_kept_never_overwritten()
    {
        await using var environment = await WithJobsAsync();
        await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(environment.ConnectionString("pg-b"),
            BackupStore.Open(environment.Current.BackupDirectory), new BackupOptions(), CancellationToken.None);
        environment.Server("pg-a").Kill();
        var client = new NpgsqlConnectionStringBuilder(environment.Current.Describe().ClientConnectionString()) { Pooling = false, Timeout = 2 }.ConnectionString;

        // A client that keeps writing through the whole failover, as the services would.
        using var stop = new CancellationTokenSource();
        var acknowledged = new List<int>();
        var refused = 0;
        var writer = Task.Run(async () =>
        {
            for (var id = 1000; !stop.IsCancellationRequested; id++)
            {
                try
                {
                    await Sql.ExecuteAsync(client, $"INSERT INTO jobs VALUES ({id})");
                    lock (acknowledged) acknowledged.Add(id);
                }
                catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
                {
                    Interlocked.Increment(ref refused);
                }
                await Task.Delay(5);
            }
        });
        var result = await Cli(environment, "failover", "--level", "critical", "--restore-from", "latest");
        await Sql.EventuallyAsync(() => Task.FromResult(acknowledged.Count > 0), "a write after traffic was switched");
        await stop.CancelAsync();
        await writer;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(refused > 0, "no write was attempted before the restore was verified");
        var present = await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), $"SELECT count(*) FROM jobs WHERE id IN ({string.Join(",", acknowledged)})");
        Assert.Equal(acknowledged.Count, present);
    }

    [Fact]
    public async Task A_crash_right_after_the_restore_resumes_without_restoring_twice()
    {
        await using var environment = await WithJobsAsync();
        await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(environment.ConnectionString("pg-b"),
            BackupStore.Open(environment.Current.BackupDirectory), new BackupOptions(), CancellationToken.None);
        environment.Server("pg-a").Kill();

        // Step 6 is restore-data: killed after the restore committed, before the journal says so.
        var crashed = await CliRunner.RunAsync(["failover", "--level", "critical", "--restore-from", "latest", "--workdir", environment.WorkDirectory],
            new Dictionary<string, string> { [Recovery.Runbooks.CrashPoint.InStepVariable] = "6" });
        Assert.Contains("killing the process", crashed.Error);
        var resumed = await Cli(environment, "failover", "--level", "critical", "--restore-from", "latest");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var entries = Journal.All(Journal.DirectoryIn(environment.WorkDirectory)).Single().Read();
        Assert.Single(entries, e => e.Kind == JournalKinds.StepStarted && e.StepId == "restore-data");
        Assert.StartsWith("already in effect: pg-b holds autovideo_backup_", entries.Single(e => e.Kind == JournalKinds.StepCompleted && e.StepId == "restore-data").Output);
    }

    [Fact]
    public async Task On_a_healthy_environment_failover_and_switch_back_refuse_unless_told_why()
    {
        await using var environment = await WithJobsAsync();

        var failover = await Cli(environment, "failover", "--level", "critical");
        var switchBack = await Cli(environment, "failback", "--switch-back");

        Assert.Equal(1, failover.ExitCode);
        Assert.Contains("nothing is down (level none): a critical failover would abandon a healthy primary; pass --security-breach to abandon it anyway, or --planned for a clean switchover that loses nothing", failover.Error);
        Assert.Equal(1, switchBack.ExitCode);
        Assert.Contains("nothing to fail back: pg-a is the primary already", switchBack.Error);
        Assert.Equal(NodeRole.Primary, environment.Current.Nodes.Single(n => n.Name == "pg-a").Role);
        Assert.True(environment.Server("pg-a").IsRunning());
        Assert.Null(Incident.Unfinished(Journal.DirectoryIn(environment.WorkDirectory)));
    }

    [Fact]
    public async Task A_planned_switchover_under_load_loses_no_acknowledged_commit_and_proves_it()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var description = environment.Current.Describe();
        await WorkloadSchema.CreateAsync(description.Primary!.ConnectionString, CancellationToken.None);
        await using var workload = new AutoVideoWorkload(description.ClientConnectionString(), writers: 3, NullLogger.Instance);
        workload.Start();
        await Task.Delay(800);

        var result = await Cli(environment, "failover", "--level", "critical", "--planned");
        await Task.Delay(500);
        await workload.StopAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(NodeRole.Primary, environment.Current.Nodes.Single(n => n.Name == "pg-b").Role);
        var recovered = await RecoveredContent.LoadAsync(environment.ConnectionString("pg-b"), CancellationToken.None);
        var rpo = RpoAccounting.Account(workload.Ledger, recovered, DateTimeOffset.UtcNow);
        Assert.True(rpo.AcknowledgedCommits > 0);
        Assert.Equal(0, rpo.LostCommits);
        var loss = Status(await Cli(environment, "incident", "status", "--json")).GetProperty("dataLoss");
        Assert.Equal("measured", loss.GetProperty("kind").GetString());
        Assert.Equal(0, loss.GetProperty("lostCommits").GetInt64());
    }

    [Fact]
    public async Task A_loss_reaching_back_past_the_lost_primarys_pg_wal_is_counted_from_the_archive()
    {
        await using var environment = await WithJobsAsync();
        var primary = environment.ConnectionString("pg-a");
        var manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(primary,
            BackupStore.Open(environment.Current.BackupDirectory), new BackupOptions(), CancellationToken.None);
        await CommitAsync(primary, 100, 10);
        // The primary keeps no WAL for its own sake: after a few segments and a checkpoint, the one
        // holding the backup's point is only in the archive.
        await Sql.ExecuteAsync(primary, "ALTER SYSTEM SET wal_keep_size = 0; SELECT pg_reload_conf()");
        for (var i = 0; i < 4; i++)
        {
            await CommitAsync(primary, 200 + i, 1);
            var segment = await Sql.ScalarAsync<string>(primary, "SELECT pg_walfile_name(pg_switch_wal())");
            await Sql.EventuallyAsync(async () => string.CompareOrdinal(await Sql.ScalarAsync<string>(primary, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"), segment) >= 0, $"{segment} archived");
        }
        await environment.WaitForStandbyAsync();
        await Sql.ExecuteAsync(primary, "CHECKPOINT");
        var pointSegment = await Sql.ScalarAsync<string>(primary, $"SELECT pg_walfile_name('{manifest.Snapshot.Lsn}')");
        Assert.False(File.Exists(Path.Combine(environment.Node(NodeRole.Primary).DataDirectory, "pg_wal", pointSegment!)), $"{pointSegment} is still in pg_wal");
        environment.Server("pg-a").Kill();

        var result = await Cli(environment, "failover", "--level", "critical", "--restore-from", "latest");

        Assert.True(result.ExitCode == 0, result.ToString());
        var loss = Status(await Cli(environment, "incident", "status", "--json")).GetProperty("dataLoss");
        Assert.Equal("measured", loss.GetProperty("kind").GetString());
        Assert.True(loss.GetProperty("lostCommits").GetInt64() >= 14, loss.ToString());
    }

    [Fact]
    public async Task The_source_that_loses_least_is_chosen_and_the_dry_run_shows_both()
    {
        await using var environment = await WithJobsAsync();
        await ReplicationLink.DetachAsync(environment.Server("pg-b"), CancellationToken.None);
        await CommitAsync(environment.ConnectionString("pg-a"), 100, 30);
        // A backup of the primary taken after the standby fell behind: newer than the replica.
        await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(environment.ConnectionString("pg-a"),
            BackupStore.Open(environment.Current.BackupDirectory), new BackupOptions(), CancellationToken.None);
        await CommitAsync(environment.ConnectionString("pg-a"), 200, 3);
        environment.Server("pg-a").Kill();

        var plan = await Cli(environment, "failover", "--level", "critical", "--dry-run");
        var result = await Cli(environment, "failover", "--level", "critical");

        Assert.Contains("assessment now: replica pg-b:", plan.Out);
        Assert.Matches("chosen: autovideo_backup_[^,]+, it loses less than the replica", plan.Out);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(35L, await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM jobs"));
        var loss = Status(await Cli(environment, "incident", "status", "--json")).GetProperty("dataLoss");
        Assert.Equal("measured", loss.GetProperty("kind").GetString());
        Assert.InRange(loss.GetProperty("lostCommits").GetInt64(), 3, 29);
    }
}
