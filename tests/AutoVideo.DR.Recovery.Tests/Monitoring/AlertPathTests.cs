using System.Text.Json;
using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;

namespace AutoVideo.DR.Recovery.Tests.Monitoring;

/// <summary>
/// The plan's detection path end to end on real binaries: exporters scrape the two nodes,
/// Prometheus evaluates the repository's rules every second, Alertmanager routes to the webhook.
/// A healthy environment first (nothing may fire or even be pending), then the primary is killed.
/// </summary>
[Collection(MonitoredEnvironmentCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class AlertPathTests(MonitoredEnvironmentFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan HealthyWindow = TimeSpan.FromMinutes(1);

    [Fact, Step(1)]
    public async Task Prometheus_runs_the_repository_rules_file_and_every_alert_has_its_runbook_section_and_tests()
    {
        Assert.Equal(RepositoryFiles.Read("monitoring", "alerts.yaml"), File.ReadAllText(Path.Combine(fixture.Monitoring.Directory, MonitoringConfiguration.RulesFile)));
        IReadOnlyList<LoadedRule> rules = [];
        await Sql.EventuallyAsync(async () =>
        {
            rules = await fixture.Prometheus.AlertingRulesAsync(CancellationToken.None);
            return rules.All(r => r.LastEvaluation is not null);
        }, "a first evaluation of every rule", seconds: 30);
        var runbooks = RepositoryFiles.Read("docs", "runbooks.md");
        var anchors = Regex.Matches(runbooks, @"^#+ (.+)$", RegexOptions.Multiline).Select(m => GitHubAnchor(m.Groups[1].Value)).ToHashSet();
        var unitTests = RepositoryFiles.Read("monitoring", "alerts.test.yaml");

        Assert.True(rules.Count >= 8, $"Prometheus loaded {rules.Count} alerting rules");
        foreach (var rule in rules)
        {
            Assert.True(rule.Health == "ok", $"{rule.Name}: health {rule.Health}");
            Assert.Contains(rule.Labels["severity"], new[] { "critical", "warning" });
            Assert.False(string.IsNullOrWhiteSpace(rule.Annotations.GetValueOrDefault("summary")), $"{rule.Name} has no summary");
            Assert.False(string.IsNullOrWhiteSpace(rule.Annotations.GetValueOrDefault("description")), $"{rule.Name} has no description");
            var runbook = rule.Annotations.GetValueOrDefault("runbook_url") ?? "";
            Assert.StartsWith("docs/runbooks.md#", runbook);
            Assert.True(anchors.Contains(runbook.Split('#')[1]), $"{rule.Name}: docs/runbooks.md has no section for {runbook}");
            // promtool tests: a case where it fires, and the healthy system where it does not.
            Assert.Matches($@"alertname: {rule.Name}\n\s+exp_alerts:\n\s+- exp_labels:", unitTests);
            Assert.Contains($"alertname: {rule.Name}, exp_alerts: [] }}", unitTests);
        }
    }

    [Fact, Step(2)]
    public async Task A_healthy_environment_raises_no_alert_within_a_minute()
    {
        // The rules must really have looked at both nodes: every target scraped, pg_up read.
        await Sql.EventuallyAsync(async () =>
        {
            var targets = await fixture.Prometheus.TargetsAsync(CancellationToken.None);
            return targets.Count == fixture.Monitoring.Processes.Count(p => p.Component is MonitoringComponent.PostgresExporter or MonitoringComponent.Pushgateway)
                && targets.All(t => t.Health == "up");
        }, "every scrape target up", seconds: 30);
        var scrapedAt = DateTimeOffset.UtcNow;
        var evaluations = 0;
        var pendingFor = new Dictionary<string, int>();
        while (DateTimeOffset.UtcNow < fixture.StartedAt + HealthyWindow)
        {
            var alerts = await fixture.Prometheus.AlertsAsync(CancellationToken.None);
            Assert.True(alerts.All(a => a.State != "firing"), $"a healthy environment fires: {string.Join(", ", alerts.Select(a => $"{a.Name} {a.State} {a.Summary}"))}");
            Assert.Empty(fixture.Webhook.Received);
            // Pending counts too: with 1 s evaluation a rule whose expression holds shows at once, even
            // one whose for: is longer than the window. Three polls in a row, so that one scrape that
            // overran its 1 s timeout on a loaded machine (what for: exists to absorb) is not a failure.
            pendingFor = alerts.Select(a => $"{a.Name} {a.Summary}").Distinct().ToDictionary(k => k, k => pendingFor.GetValueOrDefault(k) + 1);
            Assert.True(pendingFor.Values.All(n => n < 3), $"a healthy environment keeps alerts pending: {string.Join(", ", pendingFor.Keys)}");
            var rules = await fixture.Prometheus.AlertingRulesAsync(CancellationToken.None);
            if (rules.All(r => r.LastEvaluation > scrapedAt)) evaluations++;
            await Task.Delay(1000);
        }
        Assert.True(evaluations >= 10, $"the rules were evaluated with every target up during only {evaluations} s of the minute");
        Assert.Empty(fixture.Webhook.Problems);
    }

    [Fact, Step(3)]
    public async Task Killing_the_primary_pages_oncall_with_AutoVideoDatabaseDown_and_health_shows_it_firing()
    {
        var primary = fixture.State.NodeWithRole(NodeRole.Primary);
        var killedAt = DateTimeOffset.UtcNow;
        var killed = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.NotNull(LocalEnvironment.Server(null, Postgres.ServerAccount.Current(), primary).Kill());

        var alert = await fixture.Webhook.WaitForAsync("AutoVideoDatabaseDown", TimeSpan.FromMinutes(2), CancellationToken.None,
            a => a.Instance == $"127.0.0.1:{primary.Port}");

        output.WriteLine($"kill → AutoVideoDatabaseDown at the webhook: {alert.ArrivedAfter(killed).TotalSeconds:0.0} s (fired {(alert.StartsAt - killedAt).TotalSeconds:0.0} s after the kill)");
        Assert.Equal(MonitoringConfiguration.OncallReceiver, alert.Receiver);
        Assert.Equal("critical", alert.Severity);
        Assert.Equal(primary.Name, alert.Labels["node"]);
        Assert.Equal($"PostgreSQL 127.0.0.1:{primary.Port} is down", alert.Annotations["summary"]);
        Assert.Equal("docs/runbooks.md#autovideodatabasedown", alert.Annotations["runbook_url"]);
        // Prometheus sends the moment the alert went firing: its 30 s 'for:' after the first failed scrape.
        Assert.True(alert.StartsAt >= killedAt.AddSeconds(30), $"the alert fired at {alert.StartsAt:O}, less than its 30 s 'for:' after the kill at {killedAt:O}");
        Assert.True(alert.ReceivedAt >= alert.StartsAt);
        // Only the killed node: the standby still answers.
        Assert.DoesNotContain(fixture.Webhook.Received, a => a.Instance != alert.Instance);

        var health = await CliRunner.RunAsync("health", "--workdir", fixture.WorkDirectory, "--json");
        Assert.True(health.ExitCode == 1, health.ToString());
        using var json = JsonDocument.Parse(health.Out);
        Assert.Contains(json.RootElement.GetProperty("alerts").EnumerateArray(), a =>
            a.GetProperty("name").GetString() == "AutoVideoDatabaseDown" && a.GetProperty("state").GetString() == "firing"
            && a.GetProperty("labels").GetProperty("instance").GetString() == alert.Instance);
        var table = await CliRunner.RunAsync("health", "--workdir", fixture.WorkDirectory);
        Assert.Matches(@"AutoVideoDatabaseDown\s+firing\s+critical\s+127\.0\.0\.1:" + primary.Port, table.Out);
    }

    /// <summary>GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens.</summary>
    static string GitHubAnchor(string heading) =>
        Regex.Replace(heading.Trim().ToLowerInvariant(), @"[^\p{L}\p{N} _-]", "").Replace(' ', '-');
}
