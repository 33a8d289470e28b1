using System.Net;
using System.Text.Json;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

/// <summary>The critical runbook driving the stacks through the CLI, against the pulumi stand-in.</summary>
public sealed class StackFailoverTests : IDisposable
{
    readonly PulumiStandIn pulumi = new();

    public void Dispose() => pulumi.Dispose();

    Task<CliResult> Cli(params string[] args) =>
        CliRunner.RunAsync([.. args, "--workdir", pulumi.WorkDirectory, "--stack", "dr", "--peer-stack", "prod"], pulumi.Environment());

    [Fact]
    public async Task Critical_failover_promotes_dr_by_role_and_up_fences_prod_by_config_and_switches_traffic()
    {
        var plan = await Cli("failover", "--level", "critical", "--dry-run", "--json");
        Assert.Equal(0, plan.ExitCode);
        Assert.Empty(pulumi.Calls);

        var result = await Cli("failover", "--level", "critical", "--declared-by", "carol");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("primary", pulumi.Config("dr", "autovideo-dr:role"));
        Assert.Equal("standby", pulumi.Config("prod", "autovideo-dr:role"));
        Assert.Equal("organization/autovideo-dr/dr", pulumi.Config("prod", "autovideo-dr:peerStack"));
        Assert.Equal("primary", File.ReadAllText(Path.Combine(pulumi.State, "dr.applied-role")));
        // prod's region is gone: nothing may try to update it.
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("up") && c.Contains("--stack prod"));
        Assert.Equal(2, pulumi.Calls.Count(c => c == "up --yes --json --stack dr --non-interactive --skip-preview --continue-on-error"));
        Assert.Contains("update db: done", result.Error);
        Assert.Contains("skipped (replica usable", result.Error);

        var steps = JsonDocument.Parse(plan.Out).RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        var status = await CliRunner.RunAsync(["incident", "status", "--json", "--workdir", pulumi.WorkDirectory]);
        var record = JsonDocument.Parse(status.Out).RootElement;
        Assert.Equal(steps, record.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList());
        Assert.Equal("completed", record.GetProperty("status").GetString());
        Assert.Equal("carol", record.GetProperty("declaredBy").GetString());
    }

    [Fact]
    public async Task Failback_rebuilds_prod_as_the_replica_of_dr_and_verifies_through_the_health_urls()
    {
        // dr's region answers on its regional health URL; prod's does not (closed port).
        using var listener = new HttpListener();
        var port = FreePort.Pick();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync();
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });
        pulumi.SetHealthUrl("dr", $"http://127.0.0.1:{port}/health/ready");
        pulumi.SetHealthUrl("prod", $"http://127.0.0.1:{FreePort.Pick()}/health/ready");
        Assert.Equal(0, (await Cli("failover", "--level", "critical")).ExitCode);

        var result = await Cli("failback");
        stop.Cancel();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("standby", File.ReadAllText(Path.Combine(pulumi.State, "prod.applied-role")));
        Assert.Equal("organization/autovideo-dr/dr", pulumi.Config("prod", "autovideo-dr:peerStack"));
        Assert.Contains(pulumi.Calls, c => c.StartsWith("up --yes --json --stack prod"));
        Assert.Contains("stack prod is a replica of arn:aws:rds:ap-northeast-1:123456789012:db:autovideo-dr", result.Out);
        Assert.Contains("stack dr is primary and its 1 health URL(s) answer", result.Out);
    }

    [Fact]
    public async Task A_locked_dr_stack_stops_the_failover_at_the_promotion_and_a_rerun_resumes_there()
    {
        pulumi.Touch("locked");
        var first = await Cli("failover", "--level", "critical");
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("step 2 (promote-standby) failed: stack 'dr' is locked by another update in progress", first.Error);

        File.Delete(Path.Combine(pulumi.State, "locked"));
        var second = await Cli("failover", "--level", "critical");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("resuming run", second.Error);
        Assert.Contains("step 1/7 assess the environment: completed earlier, not repeated", second.Error);
    }
}
