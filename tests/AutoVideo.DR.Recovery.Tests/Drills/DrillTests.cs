using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;

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
        foreach (var step in new[] { "inject disaster", "detect failure", "assess", "fence old primary + promote standby", "switch clients", "verify writable service" })
            Assert.Contains($"| {step} |", markdown);

        var svg = XDocument.Load(root.GetProperty("timeline").GetString()!);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = svg.Descendants(ns + "rect").Count() - 1;
        Assert.Equal(root.GetProperty("steps").GetArrayLength(), bars);
    }

    [Fact]
    public async Task A_drill_with_the_standby_cut_off_reports_the_lost_commits_as_a_problem()
    {
        var (json, markdown) = await PassingDrillAsync("--detach-standby");
        var lost = json.RootElement.GetProperty("lostCommits").GetInt64();
        Assert.True(lost > 0, "cutting the standby off lost no commit");
        Assert.True(json.RootElement.GetProperty("rpoSeconds").GetDouble() > 0);
        Assert.Contains($"1. {lost} acknowledged commits were lost", markdown);
        Assert.Contains("synchronous_commit", markdown);
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
        Assert.True(json.RootElement.GetProperty("lostCommits").GetInt64() > 0, "commits made after the backup should be lost");
        Assert.InRange(json.RootElement.GetProperty("rpoSeconds").GetDouble(), 0.1, 900);
        Assert.Contains("**測試類型**: 備份恢復", markdown);
        Assert.Contains("| scheduled backup |", markdown);
        Assert.Contains("matched its SHA-256 before the restore wrote anything", markdown);
        Assert.Contains("| public.video_projects (manifest) |", markdown);
        Assert.Contains("- [x] 驗證恢復數據完整性", markdown);
        Assert.Contains("made after the backup's snapshot were lost", markdown);
    }

    [Theory]
    [InlineData("--restore", "yesterday", "--restore 'yesterday' names no backup; accepted: latest or a name like autovideo_backup_")]
    [InlineData("--disaster", "meteor", "unknown disaster 'meteor'; accepted: kill-primary, stop-primary, freeze-primary")]
    [InlineData("--writers", "0", "--writers 0 is out of range; accepted: 1 to 32")]
    [InlineData("--warm-up", "-1", "--warm-up -1 s is out of range")]
    public async Task Bad_drill_options_fail_in_one_line_before_anything_starts(string option, string value, string message)
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("drill", "--workdir", work.Path, option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(work.Path));
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
