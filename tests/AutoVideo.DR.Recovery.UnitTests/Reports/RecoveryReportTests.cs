using System.Xml.Linq;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.UnitTests.Reports;

public sealed class RecoveryReportTests
{
    static RecoveryReport Report(TimeSpan rto, bool stepsOk = true) => new(
        "Failover drill", new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero), TestType.Failover, "kill-primary", "Mei", "local:/tmp/x",
        RecoveryObjective.For(DisasterLevel.Critical), rto, TimeSpan.FromSeconds(2), 5,
        [
            new("workload warm-up", TimeSpan.FromSeconds(-3), TimeSpan.FromSeconds(3), true, "4 writers"),
            new("promote <standby> & fence", TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.3), stepsOk, "pg_promote"),
        ],
        [new("確認恢復時間符合 RTO (RTO met)", true, "RTO 0.5 s")],
        [new("users", 10, 10, 0, 0, "abc", "abc", true)],
        ["5 acknowledged commits were lost"], []);

    [Fact]
    public void The_markdown_follows_the_plans_template_and_says_when_a_target_was_missed()
    {
        var met = ReportMarkdown.Render(Report(TimeSpan.FromSeconds(0.5)), "t.svg");
        Assert.Contains("**測試日期**: 2026-11-25", met);
        Assert.Contains("**測試負責人**: Mei", met);
        Assert.Contains("**實際恢復時間**: 0.00014 小時 (0.500 s) ✅", met);
        Assert.Contains("**實際數據遺失**: 0.0333 分鐘 (2.000 s; 5 acknowledged commits lost)", met);
        Assert.Contains("1. 5 acknowledged commits were lost", met);
        Assert.Contains("1. 無 (none)", met);
        Assert.Contains("![timeline](t.svg)", met);
        Assert.Contains("**結果 (result)**: PASSED", met);

        var missed = ReportMarkdown.Render(Report(TimeSpan.FromHours(2)), "t.svg");
        Assert.Contains("**實際恢復時間**: 2 小時 (7200.000 s) ❌ (target missed)", missed);
        Assert.Contains("**結果 (result)**: FAILED", missed);
        Assert.Contains("| FAILED |", ReportMarkdown.Render(Report(TimeSpan.FromSeconds(1), stepsOk: false), "t.svg"));
    }

    [Fact]
    public void The_timeline_is_valid_svg_with_a_bar_per_step_and_escaped_names()
    {
        var svg = XDocument.Parse(TimelineSvg.Render(Report(TimeSpan.FromSeconds(0.5))));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(3, svg.Descendants(ns + "rect").Count());
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "promote <standby> & fence");
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "disaster");
    }

    [Fact]
    public async Task The_writer_puts_both_files_side_by_side_and_refuses_a_name_that_is_a_path()
    {
        using var directory = new TemporaryDirectory();
        var files = await RecoveryReportWriter.WriteAsync(Report(TimeSpan.FromSeconds(1)), directory.Path, "drill-1", CancellationToken.None);
        Assert.Equal(Path.GetDirectoryName(files.Markdown), Path.GetDirectoryName(files.Timeline));
        Assert.Contains("drill-1-timeline.svg", await File.ReadAllTextAsync(files.Markdown));
        await Assert.ThrowsAsync<RecoveryException>(() => RecoveryReportWriter.WriteAsync(Report(TimeSpan.FromSeconds(1)), directory.Path, "../escape", CancellationToken.None));
    }
}
