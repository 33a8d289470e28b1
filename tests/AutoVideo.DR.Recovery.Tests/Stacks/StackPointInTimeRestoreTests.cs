using System.Text.Json;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

/// <summary>
/// restore --to-time T --stack dr against the pulumi stand-in: the dr stack's restore inputs and role
/// are set by config (through stdin), prod is fenced by config, pulumi up runs, and the result is
/// read back from the stack's state, not assumed.
/// </summary>
public sealed class StackPointInTimeRestoreTests : IDisposable
{
    const string Arn = "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-L2IJCEXJP7XQ7HOJ4SIEXAMPLE";
    readonly PulumiStandIn pulumi = new();

    public void Dispose() => pulumi.Dispose();

    Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync([.. args, "--workdir", pulumi.WorkDirectory], pulumi.Environment());

    [Fact]
    public async Task A_restore_to_a_moment_sets_the_dr_stacks_restore_inputs_fences_prod_and_updates_dr()
    {
        var result = await Cli("restore", "--to-time", "2026-11-25T17:30:12.75+08:00", "--stack", "dr", "--restore-source", Arn);

        Assert.True(result.ExitCode == 0, result.ToString());
        // RDS takes whole seconds, in UTC: rounded down, never past the moment asked for.
        Assert.Equal("2026-11-25T09:30:12Z", pulumi.Config("dr", "autovideo-dr:dbRestoreTime"));
        Assert.Equal(Arn, pulumi.Config("dr", "autovideo-dr:dbRestoreSource"));
        Assert.Equal("primary", pulumi.Config("dr", "autovideo-dr:role"));
        // prod is fenced where traffic is decided, the global stack; prod's own config (its region may be gone) is not touched.
        Assert.Equal("dr", pulumi.Config("global", "autovideo-dr:primaryStack"));
        Assert.Equal("[\"prod\"]", pulumi.Config("global", "autovideo-dr:fencedStacks"));
        Assert.Contains(pulumi.Calls, c => c.StartsWith("up --yes --json --stack global", StringComparison.Ordinal));
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("config set") && c.Contains("--stack prod"));
        Assert.Contains("up --yes --json --stack dr --non-interactive --skip-preview --continue-on-error", pulumi.Calls);
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("up") && c.Contains("--stack prod"));
        // Values travel through stdin, never argv.
        Assert.DoesNotContain(pulumi.Calls, c => c.Contains(Arn) || c.Contains("09:30:12"));
        Assert.Contains($"stack dr's database was restored from {Arn} to 2026-11-25T09:30:12Z", result.Out);
    }

    [Fact]
    public async Task The_source_defaults_to_the_peers_replicated_backups_output_and_latest_is_accepted()
    {
        pulumi.SetReplicatedBackups("prod", Arn);

        var result = await Cli("restore", "--to", "latest", "--stack", "dr", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("latest", pulumi.Config("dr", "autovideo-dr:dbRestoreTime"));
        Assert.Equal(Arn, JsonDocument.Parse(result.Out).RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_dry_run_shows_the_config_it_would_set_and_changes_nothing()
    {
        var result = await Cli("restore", "--to-time", "2026-11-25T09:30:00Z", "--stack", "dr", "--restore-source", Arn, "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("dr dbRestoreTime=2026-11-25T09:30:00Z; dr dbRestoreSource=" + Arn + "; dr role=primary; then pulumi up -s dr", result.Out);
        Assert.Contains("fence prod in the global stack", result.Out);
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("config set") || c.StartsWith("up"));
        Assert.Null(pulumi.Config("dr", "autovideo-dr:dbRestoreTime"));
    }

    [Fact]
    public async Task An_update_that_does_not_restore_fails_in_one_line_and_a_rerun_completes_it()
    {
        pulumi.Touch("fail-up");
        var failed = await Cli("restore", "--to-time", "2026-11-25T09:30:00Z", "--stack", "dr", "--restore-source", Arn);

        Assert.Equal(1, failed.ExitCode);
        var error = Assert.Single(failed.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Assert.Contains("did not restore its database (stack dr's database was not created by a point-in-time restore): promoting read replica", error);

        File.Delete(Path.Combine(pulumi.State, "fail-up"));
        var rerun = await Cli("restore", "--to-time", "2026-11-25T09:30:00Z", "--stack", "dr", "--restore-source", Arn);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
    }

    [Theory]
    [InlineData("stack prod exports no databaseReplicatedBackupsArn; pass --restore-source", "--to-time", "2026-11-25T09:30:00Z")]
    [InlineData("RDS restores to a time or to the latest restorable time, not to LSN 0/3000060", "--to-lsn", "0/3000060", "--restore-source", Arn)]
    [InlineData("--restore-source 'arn:aws:rds:ap-southeast-1:123456789012:db:prod' is not the ARN of replicated automated backups", "--to", "latest", "--restore-source", "arn:aws:rds:ap-southeast-1:123456789012:db:prod")]
    public async Task What_rds_cannot_restore_is_refused_in_one_line_before_any_change(string message, params string[] args)
    {
        var result = await Cli(["restore", "--stack", "dr", .. args]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:")));
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("config set") || c.StartsWith("up"));
    }
}
