using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Drills;

public sealed class DrillTests
{
    [Fact]
    public async Task A_drill_from_nothing_recovers_measures_and_writes_the_report_then_removes_its_environment()
    {
        using var work = new TemporaryDirectory();
        using var reports = new TemporaryDirectory();

        var result = await CliRunner.RunAsync("drill", "--workdir", work.Path, "--out", reports.Path, "--warm-up", "1", "--owner", "SRE on call", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        var rto = root.GetProperty("rtoSeconds").GetDouble();
        Assert.InRange(rto, 0.001, 3600);
        Assert.True(root.GetProperty("acknowledgedCommits").GetInt32() > 0);
        Assert.False(Directory.Exists(work.Path), "the drill left the environment it created");

        var markdown = await File.ReadAllTextAsync(root.GetProperty("report").GetString()!);
        foreach (var field in new[] { "# DR 測試報告", "**測試日期**", "**測試類型**: 故障切換", "**測試負責人**: SRE on call", "**目標 RTO**: 1 小時", "**實際恢復時間**", "**目標 RPO**: 15 分鐘", "**實際數據遺失**", "## 發現問題", "## 改進建議", "## 測試檢核表" })
            Assert.Contains(field, markdown);
        Assert.Contains($"({rto.ToString("0.000", CultureInfo.InvariantCulture)} s)", markdown);
        Assert.Contains("- [x] 確認恢復時間符合 RTO", markdown);
        Assert.Contains("- [x] 驗證恢復數據完整性", markdown);
        foreach (var step in new[] { "inject disaster", "detect failure", "runbook: assess", "runbook: promote-standby", "runbook: measure-data-loss", "runbook: switch-traffic" })
            Assert.Contains($"| {step} |", markdown);
        Assert.Equal("measured", root.GetProperty("dataLoss").GetProperty("kind").GetString());

        // The drill ran the very runbook a real critical failover runs (failover --level critical): same steps, same ids.
        var critical = Recovery.Runbooks.CriticalRunbook.Build(new Recovery.Local.LocalRunbookTarget(work.Path, NullLoggerFactory.Instance),
            Recovery.Local.LocalRunbookTarget.RestoreSources(work.Path, NullLoggerFactory.Instance), new Recovery.Incidents.IncidentReport(work.Path));
        Assert.Equal(critical.StepIds, root.GetProperty("runbook").GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList());

        var svg = XDocument.Load(root.GetProperty("timeline").GetString()!);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = svg.Descendants(ns + "rect").Count(r => r.Element(ns + "title") is not null);
        Assert.Equal(root.GetProperty("steps").GetArrayLength(), bars);
    }

    [Fact]
    public async Task A_drill_with_the_standby_cut_off_reports_the_lost_commits_as_a_problem()
    {
        var (json, markdown) = await PassingDrillAsync("--detach-standby");
        var loss = json.RootElement.GetProperty("dataLoss");
        var lost = loss.GetProperty("lostCommits").GetInt64();
        Assert.True(lost > 0, "cutting the standby off lost no commit");
        Assert.True(loss.GetProperty("seconds").GetDouble() > 0);
        // The count comes first; the headline never reads 0.
        Assert.Contains($"**實際數據遺失**: {lost} acknowledged commit", markdown);
        Assert.Contains($"1. {lost} acknowledged commits were lost", markdown);
        Assert.Contains("synchronous_commit", markdown);
        // What a real failover would report, from the old primary's WAL alone, counts at least what the ledger lost.
        var own = json.RootElement.GetProperty("runbookDataLoss");
        Assert.Equal("measured", own.GetProperty("kind").GetString());
        Assert.True(own.GetProperty("lostCommits").GetInt64() >= lost, own.ToString());
    }

    [Fact]
    public async Task A_hung_primary_is_detected_by_probe_timeouts_fenced_and_the_drill_still_verifies_every_table()
    {
        var (_, markdown) = await PassingDrillAsync("--disaster", "freeze-primary");
        Assert.Contains("SIGSTOP", markdown);
        Assert.Contains("no answer within", markdown);
        Assert.Contains("still running: SIGKILL to its postmaster", markdown);
        Assert.Contains("- [x] 驗證恢復數據完整性", markdown);
    }

    [Fact]
    public async Task A_restore_drill_takes_the_scheduled_backup_restores_it_into_the_promoted_standby_and_reports_its_age_as_the_rpo()
    {
        var (json, markdown) = await PassingDrillAsync("--restore", "latest");
        Assert.True(json.RootElement.GetProperty("dataLoss").GetProperty("lostCommits").GetInt64() > 0, "commits made after the backup should be lost");
        Assert.InRange(json.RootElement.GetProperty("dataLoss").GetProperty("seconds").GetDouble(), 0.001, 900);
        Assert.Contains("**測試類型**: 備份恢復", markdown);
        Assert.Contains("| scheduled backup |", markdown);
        // The runbook's own restore step did it: chosen by the operator's order, clients held off meanwhile.
        Assert.Contains("| runbook: hold-clients |", markdown);
        Assert.Contains("tables verified against the manifest", markdown);
        Assert.Contains("ordered by the operator (--restore-from)", markdown);
        Assert.Contains("- [x] 驗證恢復數據完整性", markdown);
        Assert.Contains("made after the backup's snapshot were lost", markdown);
    }

    [Fact]
    public async Task A_point_in_time_drill_restores_the_standby_node_from_the_wal_archive_and_measures_what_the_archive_had_not_received()
    {
        var (json, markdown) = await PassingDrillAsync("--restore", "pitr");
        var root = json.RootElement;
        var steps = RunbookSteps(root, "outcome");
        // The point-in-time restore makes the node a primary itself: promoting first would fork a timeline into the archive.
        Assert.Equal(("skipped", "completed"), (steps["promote-standby"], steps["restore-data"]));
        var loss = root.GetProperty("dataLoss");
        Assert.Equal("measured", loss.GetProperty("kind").GetString());
        // The runbook counts, from the dead primary's WAL after the archive's end, at least what the ledger lost.
        var own = root.GetProperty("runbookDataLoss");
        Assert.Equal("measured", own.GetProperty("kind").GetString());
        Assert.True(own.GetProperty("lostCommits").GetInt64() >= loss.GetProperty("lostCommits").GetInt64(), own.ToString());
        Assert.Contains("**測試類型**: 備份恢復", markdown);
        Assert.Contains("switched and archived; restoring pitr from the WAL archive: repository 1", markdown);
        Assert.Contains("from the WAL archive", markdown);
        Assert.Contains("- [x] 驗證恢復數據完整性", markdown);
    }

    [Fact]
    public async Task A_point_in_time_drill_to_before_a_delete_without_where_brings_the_rows_back_and_nothing_after_it()
    {
        var (json, markdown) = await PassingDrillAsync("--restore", "pitr", "--to-time");
        var root = json.RootElement;
        var steps = RunbookSteps(root, "output");
        Assert.Matches(@"restored pitr:\d{4}-\d\d-\d\dT[\d:.]+Z into pg-b", steps["restore-data"]);
        Assert.Matches(@"\| destructive statement \| .*DELETE FROM render_jobs \(no WHERE\) removed [1-9]\d* rows", markdown);
        Assert.Matches(@"\| damage undone \| .*; 0 of [1-9]\d* commits acknowledged before [\d:.]+Z missing, 0 of [1-9]\d* acknowledged by pg-a over a second after it present", markdown);
        // What the workload committed after the moment is lost by design, and counted.
        Assert.True(root.GetProperty("dataLoss").GetProperty("lostCommits").GetInt64() > 0);
        Assert.Contains("- [x] 驗證恢復數據完整性", markdown);
    }

    [Fact]
    public async Task A_drill_detected_through_the_alert_path_reports_the_time_from_the_kill_to_the_on_call_webhook()
    {
        var (json, markdown) = await PassingDrillAsync("--detect", "alert");
        var detection = json.RootElement.GetProperty("detection");
        Assert.Equal("alert", detection.GetProperty("method").GetString());
        // The database-down rule's for: is 30 s (monitoring/alerts.yaml): nothing arrives sooner; the plan allows 5 minutes.
        Assert.InRange(detection.GetProperty("seconds").GetDouble(), 30, 300);
        Assert.Contains("AutoVideoDatabaseDown (critical) reached the on-call webhook through receiver 'oncall'", markdown);
        Assert.Contains("- [x] 事件偵測 (failure detected within the plan's 5 minutes)", markdown);
        Assert.Contains("through the alert path (Prometheus → Alertmanager → on-call webhook)", markdown);
    }

    [Fact]
    public async Task A_kill_redis_drill_runs_the_major_runbook_and_reports_the_caches_rto_and_data_loss_beside_the_database()
    {
        var (json, markdown) = await PassingDrillAsync("--disaster", "kill-redis");
        var root = json.RootElement;

        // The very runbook 'failover --level major' runs, through the same executor and journal.
        Assert.Equal("failover-major", root.GetProperty("runbook").GetProperty("name").GetString());
        var major = Recovery.Runbooks.MajorRunbook.Build(new Recovery.Local.LocalRunbookTarget("/nonexistent", NullLoggerFactory.Instance), new Recovery.Incidents.IncidentReport("/nonexistent"));
        var steps = RunbookSteps(root, "outcome");
        Assert.Equal(major.StepIds, steps.Keys.ToList());
        Assert.Equal(("completed", "completed", "skipped"), (steps["restore-cache"], steps["repair-cache"], steps["restore-available"]));

        // The headline figures are the cache's, measured by its ledger of acknowledged SETs.
        Assert.Equal("write", root.GetProperty("unit").GetString());
        Assert.True(root.GetProperty("acknowledgedCommits").GetInt32() > 0);
        var loss = root.GetProperty("dataLoss");
        Assert.Equal(("measured", "write"), (loss.GetProperty("kind").GetString(), loss.GetProperty("unit").GetString()));
        Assert.InRange(root.GetProperty("rtoSeconds").GetDouble(), 0.001, 4 * 3600);
        Assert.Equal(4 * 3600, root.GetProperty("rtoTargetSeconds").GetDouble());
        // What the runbook recorded on its own is a bound or unknown: the dead primary's last offset died with it.
        Assert.NotEqual("measured", root.GetProperty("runbookDataLoss").GetProperty("kind").GetString());

        Assert.Contains("**目標 RTO**: 4 小時", markdown);
        Assert.Contains("kill -9 of the Redis primary cache-a", markdown);
        foreach (var step in new[] { "cache RPO accounting", "runbook: restore-cache", "runbook: measure-cache-loss", "runbook: repair-cache" })
            Assert.Contains($"| {step} |", markdown);
        Assert.Contains("## 資料庫 (the database beside the cache)", markdown);
        Assert.Contains("RTO: none needed: the database was not failed", markdown);
        Assert.Contains("the running cache workload wrote to the promoted cache replica", markdown);
        Assert.Matches(@"\| redis \| \d+ \| \d+ \|", markdown);
    }

    [Theory]
    [InlineData("--to-time")]
    [InlineData("--to-time", "--restore", "latest")]
    public async Task A_restore_to_before_the_damage_needs_the_wal_archive_and_starts_nothing_without_it(params string[] options)
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["drill", "--workdir", work.Path, .. options]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--to-time restores to the moment before the drill's DELETE from the WAL archive; accepted: drill --restore pitr --to-time", result.Error);
        Assert.False(Directory.Exists(work.Path));
    }

    [Theory]
    [InlineData("--detach-standby")]
    [InlineData("--restore", "latest")]
    public async Task A_cache_disaster_refuses_the_database_only_options_before_anything_starts(params string[] option)
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["drill", "--workdir", work.Path, "--disaster", "kill-redis", .. option]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{option[0]} belongs to the database disasters; kill-redis fails the cache", result.Error);
        Assert.False(Directory.Exists(work.Path));
    }

    [Theory]
    [InlineData("--disaster", "meteor", "--disaster 'meteor' is not understood; accepted: kill-primary, stop-primary, freeze-primary")]
    [InlineData("--writers", "0", "--writers '0' is not a whole number from 1 to 32")]
    [InlineData("--warm-up", "-1", "--warm-up '-1' is not a number of seconds from 0 to 3600")]
    public async Task Bad_drill_options_fail_in_one_line_before_anything_starts(string option, string value, string message)
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("drill", "--workdir", work.Path, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(work.Path));
    }

    [Fact]
    public async Task A_backup_name_that_is_not_one_is_a_usage_error()
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("drill", "--workdir", work.Path, "--restore", "yesterday");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--restore 'yesterday' names no backup or point in time; accepted: latest, a backup name (see 'autovideo-dr backups list') or pitr:latest,", result.Error);
        Assert.False(Directory.Exists(work.Path));
    }

    [Fact]
    public async Task An_unwritable_report_directory_is_refused_before_the_drill_starts()
    {
        using var work = new TemporaryDirectory();
        using var file = new TemporaryDirectory();
        Directory.CreateDirectory(file.Path);
        var notADirectory = Path.Combine(file.Path, "report.md");
        await File.WriteAllTextAsync(notADirectory, "");

        var result = await CliRunner.RunAsync("drill", "--workdir", work.Path, "--out", notADirectory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the report directory {notADirectory} cannot be created: {notADirectory} is a file", result.Error);
        Assert.False(Directory.Exists(work.Path), "the drill started before its report directory was checked");
    }

    [Fact]
    public async Task A_drill_without_postgresql_names_what_is_missing_and_leaves_nothing()
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["drill", "--workdir", work.Path], new Dictionary<string, string> { ["AUTOVIDEO_DR_PG_BIN"] = "/nonexistent" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("PostgreSQL 15 not found", result.Error);
        Assert.False(Directory.Exists(work.Path));
    }

    /// <summary>Runs a short drill in fresh directories, asserts it passed, and gives its JSON and report.</summary>
    /// <summary>The runbook's steps in the drill's JSON: each step id with its <paramref name="field"/> (outcome or output).</summary>
    static Dictionary<string, string> RunbookSteps(JsonElement root, string field) =>
        root.GetProperty("runbook").GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty(field).GetString() ?? "");

    static async Task<(JsonDocument Json, string Markdown)> PassingDrillAsync(params string[] options)
    {
        using var work = new TemporaryDirectory();
        using var reports = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["drill", "--workdir", work.Path, "--out", reports.Path, "--warm-up", "1", .. options, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Out);
        return (json, await File.ReadAllTextAsync(json.RootElement.GetProperty("report").GetString()!));
    }
}
