using System.Xml.Linq;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.UnitTests.Reports;

public sealed class RecoveryReportTests
{
    static RecoveryReport Report(TimeSpan rto, bool stepsOk = true, DataLoss? loss = null) => new(
        "Failover drill", new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero), TestType.Failover, "kill-primary", "Mei", "local:/tmp/x",
        RecoveryObjective.For(DisasterLevel.Critical), rto, loss ?? DataLoss.Measured(5, TimeSpan.FromSeconds(2), "the drill's ledger"),
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
        Assert.Contains("**實際數據遺失**: 5 acknowledged commits lost, spanning 0.033 分鐘 (2.000 s); measured: the drill's ledger ✅", met);
        Assert.Contains("1. 5 acknowledged commits were lost", met);
        Assert.Contains("1. 無 (none)", met);
        Assert.Contains("![timeline](t.svg)", met);
        Assert.Contains("**結果 (result)**: PASSED", met);

        var missed = ReportMarkdown.Render(Report(TimeSpan.FromHours(2)), "t.svg");
        Assert.Contains("**實際恢復時間**: 2 小時 (7200.000 s) ❌ (target missed)", missed);
        Assert.Contains("**結果 (result)**: FAILED", missed);
        Assert.Contains("| FAILED |", ReportMarkdown.Render(Report(TimeSpan.FromSeconds(1), stepsOk: false), "t.svg"));
    }

    [Theory]
    [InlineData(1, 0.004, "1 acknowledged commit lost, spanning 0.000067 分鐘 (0.004 s); measured: ledger ✅")]
    [InlineData(3, 0.0004, "3 acknowledged commits lost, spanning 0.0000067 分鐘 (< 0.001 s); measured: ledger ✅")]
    [InlineData(0, 0, "0 分鐘 (0 commits lost; measured: ledger) ✅")]
    public void A_loss_is_never_printed_as_zero_minutes_and_the_count_comes_first(long commits, double seconds, string line)
    {
        var markdown = ReportMarkdown.Render(Report(TimeSpan.FromSeconds(1), loss: DataLoss.Measured(commits, TimeSpan.FromSeconds(seconds), "ledger")), "t.svg");
        Assert.Contains($"**實際數據遺失**: {line}", markdown);
    }

    [Fact]
    public void A_bound_or_an_unknown_loss_says_so_and_is_never_a_pass()
    {
        var bound = Report(TimeSpan.FromSeconds(1), loss: DataLoss.UpperBound(TimeSpan.FromSeconds(2.5), "since the replica's newest commit"));
        var over = Report(TimeSpan.FromSeconds(1), loss: DataLoss.UpperBound(TimeSpan.FromMinutes(20), "since the backup"));
        var unknown = Report(TimeSpan.FromSeconds(1), loss: DataLoss.Unknown("the replica cannot be read from here"));

        Assert.Contains("**實際數據遺失**: ≤ 0.042 分鐘 (2.500 s; upper bound: since the replica's newest commit) ✅", ReportMarkdown.Render(bound, "t.svg"));
        Assert.True(bound.Passed);
        Assert.Contains("❔ (not shown to be within target)", ReportMarkdown.Render(over, "t.svg"));
        Assert.False(over.Passed);
        Assert.Contains("**實際數據遺失**: unknown (the replica cannot be read from here) ❔", ReportMarkdown.Render(unknown, "t.svg"));
        Assert.False(unknown.Passed);
        Assert.Null(unknown.RpoMet);
    }

    [Fact]
    public void The_timeline_is_valid_svg_with_a_bar_per_step_and_escaped_names()
    {
        var svg = XDocument.Parse(TimelineSvg.Render(Report(TimeSpan.FromSeconds(0.5))));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(2, svg.Descendants(ns + "rect").Count(r => r.Element(ns + "title") is not null));
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "promote <standby> & fence");
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "disaster");
    }

    [Fact]
    public void The_timeline_gives_the_recovery_most_of_the_width_and_never_overlaps_marker_labels()
    {
        // Minutes of preparation before a sub-second recovery: the recovery must still read.
        var report = Report(TimeSpan.FromSeconds(0.3)) with
        {
            Timeline =
            [
                new("prepare the local environment", TimeSpan.FromSeconds(-240), TimeSpan.FromSeconds(230), true, "initdb"),
                new("runbook: promote-standby", TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.15), true, "pg_promote"),
            ],
        };
        var svg = XDocument.Parse(TimelineSvg.Render(report));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = svg.Descendants(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToList();
        var promote = bars.Single(b => b.Element(ns + "title")!.Value.StartsWith("runbook: promote-standby"));
        Assert.True(double.Parse(promote.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture) > 100,
            "a 150 ms step of a 300 ms recovery is drawn wider than 100 px");

        var markers = TimelineSvg.Stack([(400, "red", "disaster"), (430, "green", "service verified (0.3 s)"), (900, "blue", "far")]);
        Assert.NotEqual(markers.Single(m => m.Label == "disaster").Row, markers.Single(m => m.Label.StartsWith("service")).Row);
        Assert.Equal(0, markers.Single(m => m.Label == "far").Row);
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
