using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Stacks;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

public sealed class StackDriverTests : IDisposable
{
    readonly PulumiStandIn pulumi = new();
    readonly List<string> progress = [];

    StackDriver Driver() => new(new PulumiExecutable(pulumi.Executable), pulumi.WorkDirectory, NullLogger<StackDriver>.Instance);

    public void Dispose() => pulumi.Dispose();

    [Fact]
    public async Task Up_turns_the_json_event_stream_into_progress_lines_and_a_summary_by_operation()
    {
        var summary = await Driver().UpAsync("dr", progress.Add, CancellationToken.None);

        Assert.Equal(new Dictionary<string, int> { ["same"] = 40, ["update"] = 2 }, summary.ResourceChanges);
        Assert.Equal(121, summary.DurationSeconds);
        Assert.Equal(2, summary.Changed);
        Assert.Empty(summary.Errors);
        Assert.Contains(progress, l => l.Contains("update aws:rds/instance:Instance db ..."));
        Assert.Contains(progress, l => l.Contains("update api-failover: done"));
        Assert.Contains(progress, l => l == "  warning: TTL is low");
        Assert.DoesNotContain(progress, l => l.Contains("autovideo-dr-dr"));
        Assert.Equal("up of stack dr: 2 update, 40 same in 121 s", summary.ToString());
        Assert.Contains("up --yes --json --stack dr --non-interactive --skip-preview", pulumi.Calls);
    }

    [Fact]
    public async Task Preview_reads_the_single_json_document_with_its_steps_and_change_summary()
    {
        var summary = await Driver().PreviewAsync("dr", progress.Add, CancellationToken.None);

        Assert.Equal(2, summary.ResourceChanges["update"]);
        Assert.Equal(40, summary.ResourceChanges["same"]);
        Assert.Equal(["  update db", "  update api-failover"], progress);
        Assert.Contains("preview --json --stack dr --non-interactive", pulumi.Calls);
    }

    [Fact]
    public async Task Config_values_are_set_through_stdin_and_secrets_never_appear_on_the_command_line()
    {
        var driver = Driver();
        await driver.SelectAsync("dr", CancellationToken.None);
        await driver.SetConfigAsync("dr", "offsiteAwsSecretAccessKey", "very-secret-value", secret: true, CancellationToken.None);
        await driver.SetConfigAsync("dr", "role", "primary", secret: false, CancellationToken.None);

        Assert.Equal("very-secret-value", pulumi.Config("dr", "autovideo-dr:offsiteAwsSecretAccessKey"));
        Assert.Equal("primary", await driver.GetConfigAsync("dr", "role", CancellationToken.None));
        Assert.Null(await driver.GetConfigAsync("dr", "dbRestoreTime", CancellationToken.None));
        Assert.Contains("stack select dr --non-interactive", pulumi.Calls);
        Assert.Contains("config set autovideo-dr:offsiteAwsSecretAccessKey --stack dr --secret --non-interactive", pulumi.Calls);
        Assert.Contains("config set autovideo-dr:role --stack dr --plaintext --non-interactive", pulumi.Calls);
        Assert.DoesNotContain(pulumi.Calls, c => c.Contains("very-secret-value"));
    }

    [Fact]
    public async Task Stack_outputs_become_the_environment_description_health_and_restore_use()
    {
        var outputs = await Driver().OutputsAsync("prod", CancellationToken.None);
        var description = await StackEnvironment.DescribeAsync(Driver(), ["dr", "prod"], CancellationToken.None);

        Assert.Contains("stack output --json --show-secrets --stack prod", pulumi.Calls);
        Assert.Equal("stacks:dr+prod", description.Name);
        Assert.Equal("prod", description.Primary!.Name);
        Assert.Equal("dr", description.Standby!.Name);
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(description.Primary.ConnectionString);
        Assert.Equal(("127.0.0.1", 1, "autovideo", "autovideo"), (connection.Host, connection.Port, connection.Username, connection.Database));
        Assert.Equal(Npgsql.SslMode.Require, connection.SslMode);
        Assert.Equal("s3://autovideo-backups-prod", description.BackupStore);
        // The stacks' cache only accepts TLS (infra/cache.ts: transit encryption).
        Assert.Equal("rediss://127.0.0.1:1", description.CacheEndpoint);
        Assert.Equal(NodeRole.Primary, outputs.NodeRole);
    }

    [Fact]
    public async Task A_missing_stack_is_one_clear_line()
    {
        var e = await Assert.ThrowsAsync<RecoveryException>(() => Driver().OutputsAsync("staging", CancellationToken.None));
        Assert.StartsWith("no stack named 'staging'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_locked_stack_says_another_update_is_in_progress_and_how_to_clear_it()
    {
        pulumi.Touch("locked");
        var e = await Assert.ThrowsAsync<RecoveryException>(() => Driver().UpAsync("dr", progress.Add, CancellationToken.None));
        Assert.StartsWith("stack 'dr' is locked by another update in progress", e.Message);
        Assert.Contains("pulumi cancel --stack dr", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_pulumi_cloud_conflict_is_reported_as_a_concurrent_update()
    {
        var e = StackError.From("dr", "up", 255, "error: [409] Conflict: Another update is currently in progress.\n", []);
        Assert.StartsWith("stack 'dr' is locked by another update in progress (pulumi up)", e.Message);
    }

    [Fact]
    public async Task A_failed_update_names_pulumis_own_error_in_one_line()
    {
        pulumi.Touch("fail-up");
        var e = await Assert.ThrowsAsync<RecoveryException>(() => Driver().UpAsync("dr", progress.Add, CancellationToken.None));
        Assert.Equal("pulumi up on stack 'dr' failed (exit 255): promoting read replica: InvalidDBInstanceState: autovideo-dr is not in available state", e.Message);
        Assert.Contains(progress, l => l.Contains("db: FAILED"));
    }

    [Fact]
    public async Task With_continue_on_error_a_partly_failed_update_returns_its_failures_instead_of_throwing()
    {
        pulumi.Touch("fail-up");
        var summary = await Driver().UpAsync("dr", progress.Add, CancellationToken.None, continueOnError: true);
        Assert.Equal(["db (aws:rds/instance:Instance)"], summary.FailedResources);
        Assert.Contains("failed (left for the next update): db", summary.ToString());
        Assert.Contains(pulumi.Calls, c => c.EndsWith("--skip-preview --continue-on-error"));
    }

    [Fact]
    public async Task A_cloud_promotion_whose_database_update_failed_is_not_taken_for_done()
    {
        using var dr = new HealthEndpoint();
        pulumi.SetHealthUrl("dr", dr.Url);
        pulumi.SetHealthUrl("prod", HealthEndpoint.Dead);
        pulumi.Touch("fail-up");
        var result = await CliRunner.RunAsync(["failover", "--level", "critical", "--workdir", pulumi.WorkDirectory, "--stack", "dr"], pulumi.Environment());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("step 4 (promote-standby) failed: the promotion of stack dr's database failed (db (aws:rds/instance:Instance)): promoting read replica: InvalidDBInstanceState", result.Error);

        // dr now outputs role primary (outputs follow config), but its state still replicates: the rerun must promote again.
        File.Delete(Path.Combine(pulumi.State, "fail-up"));
        var rerun = await CliRunner.RunAsync(["failover", "--level", "critical", "--workdir", pulumi.WorkDirectory, "--stack", "dr"], pulumi.Environment());
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.DoesNotContain("promote the standby: already in effect", rerun.Error);
        // The failed promotion's update, then the rerun's: the promotion ran again.
        Assert.Equal(2, pulumi.Calls.Count(c => c.StartsWith("up --yes --json --stack dr")));
    }

    [Fact]
    public async Task A_missing_pulumi_executable_is_one_clear_line_from_the_cli()
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["failover", "--level", "critical", "--stack", "dr", "--workdir", work.Path],
            new Dictionary<string, string> { ["PATH"] = "/nonexistent" });

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("autovideo-dr: error: the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) to drive the stacks, or omit --stack to use the local environment",
            result.Error.Trim());
    }
}
