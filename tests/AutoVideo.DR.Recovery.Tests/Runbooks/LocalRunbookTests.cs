using AutoVideo.DR.Recovery.Objectives;
using System.Net;
using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Runbooks;

/// <summary>
/// The runbooks end to end through the CLI against a real local environment. Each test has an
/// environment of its own: the runbooks change the nodes' roles.
/// </summary>
public sealed class LocalRunbookTests : IAsyncLifetime
{
    OwnEnvironment environment = null!;
    LocalEnvironmentState state = null!;

    string Work => environment.WorkDirectory;

    public async Task InitializeAsync()
    {
        environment = await OwnEnvironment.StartAsync();
        state = environment.State;
    }

    public async Task DisposeAsync() => await environment.DisposeAsync();

    Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync([.. args, "--workdir", Work]);

    void Kill(NodeRole role) => LocalEnvironment.Server(null, ServerAccount.Current(), state.NodeWithRole(role)).Kill();

    LocalEnvironmentState Current => LocalEnvironmentState.Load(Work);

    IReadOnlyList<JournalEntry> Entries(string runbook) =>
        Journal.All(Journal.DirectoryIn(Work)).Single(j => j.RunId.EndsWith(runbook)).Read();

    static async Task<(int Port, bool InRecovery)> WhereClientsLandAsync(LocalEnvironmentState current)
    {
        var builder = new NpgsqlConnectionStringBuilder(current.Describe().ClientConnectionString()) { Pooling = false };
        var landing = await ClientLanding.ProbeAsync(builder.ConnectionString, CancellationToken.None);
        return (landing.Port, landing.InRecovery);
    }

    [Fact]
    public async Task Critical_failover_runs_exactly_the_dry_run_plan_promotes_fences_switches_and_reports()
    {
        using var listener = new HttpListener();
        var port = FreePort.Pick();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var posted = Task.Run(async () =>
        {
            var request = await listener.GetContextAsync();
            using var reader = new StreamReader(request.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            request.Response.StatusCode = 204;
            request.Response.Close();
            return (request.Request.HttpMethod, request.Request.ContentType, body);
        });

        var plan = await Cli("failover", "--level", "critical", "--dry-run", "--json");
        Assert.Equal(0, plan.ExitCode);
        var planned = JsonDocument.Parse(plan.Out).RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        Assert.Equal(["assess", "hold-clients", "stop-writes", "promote-standby", "fence-old-primary", "restore-data", "measure-data-loss", "verify", "switch-traffic", "report"], planned);
        Assert.False(Directory.Exists(Journal.DirectoryIn(Work)), "a dry run wrote a journal");

        Kill(NodeRole.Primary);
        var result = await Cli("failover", "--level", "critical", "--declared-by", "alice", "--webhook", $"http://127.0.0.1:{port}/hook/");

        Assert.True(result.ExitCode == 0, result.ToString());
        var entries = Entries("failover-critical");
        var header = entries[0].Run!;
        Assert.Equal(planned, header.Steps);
        Assert.Equal(("alice", (DisasterLevel?)DisasterLevel.Critical), (header.DeclaredBy, header.Level));
        var ended = entries.Where(e => e.Kind is JournalKinds.StepCompleted or JournalKinds.StepSkipped).Select(e => e.StepId!).ToList();
        Assert.Equal(planned, ended);
        Assert.StartsWith("the replica is recovered from, no restore: replica pg-b:", entries.Single(e => e.Kind == JournalKinds.StepSkipped && e.StepId == "restore-data").Output);
        // The webhook's URL (a token, often) is not in the journal: only where it points.
        Assert.Equal($"http://127.0.0.1:{port}", header.WebhookEndpoint);
        Assert.DoesNotContain("/hook/", await File.ReadAllTextAsync(Journal.All(Journal.DirectoryIn(Work)).Single().Path));

        Assert.Equal(NodeRole.Primary, Current.Nodes.Single(n => n.Name == "pg-b").Role);
        Assert.Equal(NodeRole.Fenced, Current.Nodes.Single(n => n.Name == "pg-a").Role);
        Assert.False(LocalEnvironment.Server(null, ServerAccount.Current(), Current.Nodes.Single(n => n.Name == "pg-a")).IsRunning());
        Assert.Equal((state.NodeWithRole(NodeRole.Standby).Port, false), await WhereClientsLandAsync(Current));

        var report = Directory.GetFiles(Journal.DirectoryIn(Work), "*-report.md").Single();
        var markdown = await File.ReadAllTextAsync(report);
        Assert.Contains("**實際恢復時間**", markdown);
        Assert.Contains("## 時間軸 (timeline)", markdown);
        Assert.Contains("alice: declared failover-critical (level critical)", markdown);
        Assert.Contains("RTO ", result.Out);

        var (method, contentType, body) = await posted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("POST", method);
        Assert.StartsWith("application/json", contentType);
        var payload = JsonDocument.Parse(body).RootElement;
        Assert.Equal(header.RunId, payload.GetProperty("runId").GetString());
        Assert.Equal("alice", payload.GetProperty("declaredBy").GetString());
        Assert.True(payload.GetProperty("rtoSeconds").GetDouble() > 0);
        Assert.Contains("# DR 測試報告", payload.GetProperty("report").GetString());

        var update = await Cli("incident", "update", "traffic is on pg-b; customers notified", "--author", "comms");
        Assert.Equal(0, update.ExitCode);
        var status = JsonDocument.Parse((await Cli("incident", "status", "--json")).Out).RootElement;
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal("comms", status.GetProperty("updates")[0].GetProperty("author").GetString());
        Assert.True(status.GetProperty("rtoSeconds").GetDouble() > 0);
        // Killed with no writes in flight: the loss is counted from the old primary's WAL, not assumed.
        Assert.Equal("measured", status.GetProperty("dataLoss").GetProperty("kind").GetString());
        Assert.Contains("pg_waldump", status.GetProperty("dataLoss").GetProperty("basis").GetString());
    }

    [Fact]
    public async Task A_failover_killed_after_any_step_resumes_after_it_and_never_promotes_twice()
    {
        Kill(NodeRole.Primary);
        var crashes = new List<(string Variable, int Step)>
        {
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 1),
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 2),
            (Recovery.Runbooks.CrashPoint.InStepVariable, 4), // promoted, but killed before the journal says so
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 4),
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 5),
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 6),
            (Recovery.Runbooks.CrashPoint.InStepVariable, 7), // measured, but killed before the journal says so
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 8),
            (Recovery.Runbooks.CrashPoint.AfterStepVariable, 9),
        };
        foreach (var (variable, step) in crashes)
        {
            var crashed = await CliRunner.RunAsync(["failover", "--level", "critical", "--workdir", Work], new Dictionary<string, string> { [variable] = step.ToString() });
            Assert.True(crashed.ExitCode != 0, $"{variable}={step} did not kill the run: {crashed}");
            Assert.Contains($"{variable}={step}: killing the process", crashed.Error);
            // The lock of the killed process stays behind: the next run must take it over.
            Assert.True(File.Exists(Path.Combine(Journal.DirectoryIn(Work), RunLock.FileName)));
        }

        var last = await Cli("failover", "--level", "critical");

        Assert.True(last.ExitCode == 0, last.ToString());
        Assert.Contains("took over the run lock of pid", last.Error);
        var entries = Entries("failover-critical");
        Assert.Single(entries, e => e.Kind == JournalKinds.RunStarted);
        Assert.Equal(crashes.Count, entries.Count(e => e.Kind == JournalKinds.RunResumed));
        foreach (var id in new[] { "assess", "promote-standby", "fence-old-primary", "verify", "switch-traffic", "report" })
            Assert.True(entries.Count(e => e.Kind == JournalKinds.StepStarted && e.StepId == id) <= 1, $"step {id} was started more than once");
        Assert.Single(entries, e => e.Kind == JournalKinds.StepCompleted && e.StepId == "promote-standby");
        Assert.StartsWith("already in effect: pg-b is recorded primary", entries.Single(e => e.Kind == JournalKinds.StepCompleted && e.StepId == "promote-standby").Output);
        Assert.Equal(10, Incident.From(entries).Steps.Count(s => s.Outcome is StepOutcome.Completed or StepOutcome.Skipped));
        Assert.Equal(NodeRole.Primary, Current.Nodes.Single(n => n.Name == "pg-b").Role);
        Assert.DoesNotContain("took over", (await Cli("incident", "status")).Error);
    }

    [Fact]
    public async Task Major_failover_isolates_the_failed_primary_restores_service_and_repairs_it_as_standby()
    {
        Kill(NodeRole.Primary);
        var plan = await Cli("failover", "--level", "major", "--dry-run");
        Assert.Contains("isolate-failed", plan.Out);

        var result = await Cli("failover", "--level", "major");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(NodeRole.Primary, Current.Nodes.Single(n => n.Name == "pg-b").Role);
        Assert.Equal(NodeRole.Standby, Current.Nodes.Single(n => n.Name == "pg-a").Role);
        var entries = Entries("failover-major");
        Assert.Equal(["assess", "isolate-failed", "restore-available", "measure-data-loss", "repair-failed", "full-verification", "report"],
            entries.Where(e => e.Kind == JournalKinds.StepCompleted).Select(e => e.StepId).ToList());
        Assert.Contains("pg-a streams from pg-b", entries.Single(e => e.StepId == "full-verification" && e.Kind == JournalKinds.StepCompleted).Output);
        Assert.Equal((state.NodeWithRole(NodeRole.Standby).Port, false), await WhereClientsLandAsync(Current));
    }

    [Fact]
    public async Task Failback_rejoins_the_old_primary_and_switch_back_makes_it_primary_again()
    {
        Kill(NodeRole.Primary);
        Assert.Equal(0, (await Cli("failover", "--level", "critical")).ExitCode);
        await Sql.ExecuteAsync(Current.Describe().Primary!.ConnectionString, "CREATE TABLE written_during_incident(v int); INSERT INTO written_during_incident VALUES (42)");

        var rejoined = await Cli("failback");
        Assert.True(rejoined.ExitCode == 0, rejoined.ToString());
        Assert.Equal(NodeRole.Standby, Current.Nodes.Single(n => n.Name == "pg-a").Role);

        // Switching back later: the rejoin is found done, the rest is the planned switchover.
        var result = await Cli("failback", "--switch-back");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("already a standby: pg-a streams from pg-b", Entries("failback-switch-back").Single(e => e.StepId == "rejoin-old-primary" && e.Kind == JournalKinds.StepCompleted).Output);
        Assert.Equal(NodeRole.Primary, Current.Nodes.Single(n => n.Name == "pg-a").Role);
        Assert.Equal(NodeRole.Standby, Current.Nodes.Single(n => n.Name == "pg-b").Role);
        Assert.Equal((state.NodeWithRole(NodeRole.Primary).Port, false), await WhereClientsLandAsync(Current));
        Assert.Equal(42, await Sql.ScalarAsync<int>(Current.Describe().Primary!.ConnectionString, "SELECT v FROM written_during_incident"));
        Assert.Contains("pg-b streams from pg-a", Entries("failback-switch-back").Last(e => e.StepId == "full-verification").Output);
    }

    [Fact]
    public async Task Minor_path_restarts_the_one_failed_standby_and_refuses_a_down_primary()
    {
        Kill(NodeRole.Standby);
        var result = await Cli("failover", "--level", "minor");
        Assert.True(result.ExitCode == 0, result.ToString());
        // Started again, or (when the killed server's leftovers keep it from starting) rebuilt from the primary.
        var repaired = Entries("failover-minor").Single(e => e.StepId == "repair-component" && e.Kind == JournalKinds.StepCompleted).Output!;
        Assert.True(repaired.Contains("pg-b started again") || repaired.Contains("rebuilt from a base backup of pg-a"), repaired);
        Assert.Contains("pg-b streams from pg-a", repaired);

        Kill(NodeRole.Primary);
        var refused = await Cli("failover", "--level", "minor");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the primary pg-a is down: that is at least a major failure", refused.Error);
        // The refused assessment changed nothing and closed its run: the right level runs at once.
        Assert.Contains("nothing was changed", refused.Error);
        var major = await Cli("failover", "--level", "major");
        Assert.True(major.ExitCode == 0, major.ToString());
    }
}
