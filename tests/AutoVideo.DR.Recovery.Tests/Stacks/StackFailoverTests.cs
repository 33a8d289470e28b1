using System.Text.Json;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

/// <summary>The critical runbook driving the stacks through the CLI, against the pulumi stand-in.</summary>
public sealed class StackFailoverTests : IDisposable
{
    readonly PulumiStandIn pulumi = new();
    readonly HealthEndpoint dr = new();
    readonly HealthEndpoint shared = new();

    public StackFailoverTests()
    {
        // dr's region answers on its regional health URL and the shared name; prod's does not.
        pulumi.SetHealthUrl("dr", dr.Url);
        pulumi.SetHealthUrl("prod", HealthEndpoint.Dead);
        pulumi.SetHealthUrl("global", shared.Url);
    }

    public void Dispose()
    {
        pulumi.Dispose();
        dr.Dispose();
        shared.Dispose();
    }

    Task<CliResult> Cli(params string[] args) =>
        CliRunner.RunAsync([.. args, "--workdir", pulumi.WorkDirectory, "--stack", "dr", "--peer-stack", "prod"], pulumi.Environment());

    [Fact]
    public async Task A_critical_failover_needs_nothing_from_prods_region_fences_it_first_and_does_not_claim_a_loss_it_cannot_see()
    {
        pulumi.RegionDown("prod");
        var plan = await Cli("failover", "--level", "critical", "--dry-run", "--json");
        Assert.Equal(0, plan.ExitCode);
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("up", StringComparison.Ordinal) || c.StartsWith("config set", StringComparison.Ordinal));

        var result = await Cli("failover", "--level", "critical", "--declared-by", "carol");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(pulumi.RegionalCalls("prod"));
        // Prod's own config is only reconciled at failback.
        Assert.Equal("primary", pulumi.Config("prod", "autovideo-dr:role"));
        Assert.Equal("primary", File.ReadAllText(Path.Combine(pulumi.State, "dr.applied-role")));
        Assert.Equal("dr", File.ReadAllText(Path.Combine(pulumi.State, "global.applied-primaryStack")));
        Assert.Equal("[\"prod\"]", File.ReadAllText(Path.Combine(pulumi.State, "global.applied-fencedStacks")));
        // The fence (global stack, Route 53 only) comes before dr's promotion.
        var calls = pulumi.Calls.ToList();
        Assert.True(calls.FindIndex(c => c.StartsWith("up --yes --json --stack global", StringComparison.Ordinal))
            < calls.FindIndex(c => c.StartsWith("up --yes --json --stack dr", StringComparison.Ordinal)), string.Join("\n", calls));
        Assert.Contains("update db: done", result.Error);

        var steps = JsonDocument.Parse(plan.Out).RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        var status = await CliRunner.RunAsync(["incident", "status", "--json", "--workdir", pulumi.WorkDirectory]);
        var record = JsonDocument.Parse(status.Out).RootElement;
        Assert.Equal(steps, record.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList());
        Assert.Equal("completed", record.GetProperty("status").GetString());
        Assert.Equal("carol", record.GetProperty("declaredBy").GetString());
        // The replica's position cannot be read from an operator's machine: no figure is invented.
        var loss = record.GetProperty("dataLoss");
        Assert.Equal("unknown", loss.GetProperty("kind").GetString());
        Assert.Contains("private subnets", loss.GetProperty("basis").GetString());
        var report = Directory.GetFiles(Path.Combine(pulumi.WorkDirectory, "incidents"), "*-report.md").Single();
        Assert.Contains("**實際數據遺失**: unknown (", await File.ReadAllTextAsync(report));
    }

    [Fact]
    public async Task Traffic_is_not_taken_for_switched_when_no_health_url_can_show_it()
    {
        pulumi.SetHealthUrl("dr", "");
        pulumi.SetHealthUrl("global", "");

        var result = await Cli("failover", "--level", "critical");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exports no health URL", result.Error);
    }

    [Fact]
    public async Task Failback_converges_dr_rebuilds_prod_as_a_new_replica_and_lifts_its_fence()
    {
        Assert.Equal(0, (await Cli("failover", "--level", "critical")).ExitCode);
        pulumi.SetHealthUrl("prod", HealthEndpoint.Dead);

        var result = await Cli("failback");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("standby", File.ReadAllText(Path.Combine(pulumi.State, "prod.applied-role")));
        Assert.Equal("organization/autovideo-dr/dr", pulumi.Config("prod", "autovideo-dr:peerStack"));
        // A promoted instance cannot take a replication source again: a new generation is declared.
        Assert.Equal("2", pulumi.Config("prod", "autovideo-dr:dbGeneration"));
        Assert.Equal("[]", File.ReadAllText(Path.Combine(pulumi.State, "global.applied-fencedStacks")));
        var calls = pulumi.Calls.ToList();
        Assert.True(calls.FindLastIndex(c => c.StartsWith("up --yes --json --stack dr", StringComparison.Ordinal))
            < calls.FindIndex(c => c.StartsWith("up --yes --json --stack prod", StringComparison.Ordinal)), "dr is converged before prod is demoted");
        Assert.Contains("stack prod is a replica of arn:aws:rds:ap-northeast-1:123456789012:db:autovideo-dr", result.Out);
        Assert.Contains("stack dr is primary and its 1 health URL(s) answer", result.Out);
    }

    [Fact]
    public async Task A_major_failover_of_the_stacks_brings_the_cache_with_the_promotion_and_does_not_claim_its_loss()
    {
        var result = await Cli("failover", "--level", "major", "--declared-by", "erin");

        Assert.True(result.ExitCode == 0, result.ToString());
        var record = JsonDocument.Parse((await CliRunner.RunAsync(["incident", "status", "--json", "--workdir", pulumi.WorkDirectory])).Out).RootElement;
        var steps = record.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("output").GetString()!);
        // The cache has no promotion of its own in the stacks: dr's promotion (restore-available) made it primary.
        Assert.StartsWith("already the cache primary, promoted with stack dr: stack dr outputs role primary and cacheRole primary", steps["restore-cache"]);
        Assert.StartsWith("already the secondary: stack prod outputs role standby and cacheRole secondary", steps["repair-cache"]);
        // The promoted cache starts empty: what the old one held is lost, and how much cannot be read from here.
        var loss = record.GetProperty("cacheDataLoss");
        Assert.Equal("unknown", loss.GetProperty("kind").GetString());
        Assert.Contains("starts empty", loss.GetProperty("basis").GetString());
        Assert.Contains("cacheRole primary", steps["full-verification"]);
    }

    [Fact]
    public async Task A_locked_stack_stops_the_failover_at_the_promotion_and_a_rerun_resumes_there()
    {
        pulumi.Touch("locked");
        var first = await Cli("failover", "--level", "critical");
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("step 4 (promote-standby) failed: stack 'global' is locked by another update in progress", first.Error);

        File.Delete(Path.Combine(pulumi.State, "locked"));
        var second = await Cli("failover", "--level", "critical");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("resuming run", second.Error);
        Assert.Contains("step 1/10 assess the environment and choose the source that loses least: completed earlier, not repeated", second.Error);
    }
}
