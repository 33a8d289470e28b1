using System.CommandLine;
using AutoVideo.DR.Recovery.Drills;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr drill: a measured disaster-recovery drill on the local environment, ending in the DR test report.</summary>
public static class DrillCommand
{
    static readonly Option<string> Owner = new("--owner") { Description = "who runs the drill (測試負責人)", DefaultValueFactory = _ => Environment.UserName };
    static readonly Option<string> Output = new("--out") { Description = "directory for the report and its timeline", DefaultValueFactory = _ => RecoveryReportWriter.DefaultDirectory };
    static readonly Option<DisasterKind> Disaster = new("--disaster")
    {
        Description = "what to inject: kill-primary (kill -9 of the postmaster), stop-primary (immediate shutdown), freeze-primary (SIGSTOP: hung), or kill-redis (kill -9 of the Redis primary; the major runbook recovers it)",
        DefaultValueFactory = _ => DisasterKind.KillPrimary,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (Enum.GetValues<DisasterKind>().FirstOrDefault(k => k.Name() == text) is var kind && kind.Name() == text) return kind;
            result.AddError($"--disaster '{text}' is not understood; accepted: {string.Join(", ", Enum.GetValues<DisasterKind>().Select(k => k.Name()))}");
            return default;
        },
    };
    static readonly Option<int> Writers = NumberOptions.Whole("--writers", "concurrent workload writers (default 4)", 1, 32, 4);
    static readonly Option<double> WarmUp = NumberOptions.Seconds("--warm-up", "seconds of workload before the disaster", 0, 3600, 3);
    static readonly Option<bool> Detach = new("--detach-standby") { Description = "cut replication before the disaster, to see the RPO of a broken link" };
    static readonly Option<DetectionMethod> Detect = new("--detect")
    {
        Description = "how the disaster is detected: probe (the drill's own probe loop, the default) or alert (the plan's path: Prometheus rule → Alertmanager → an on-call webhook the drill listens on; starts the monitoring if it does not run)",
        DefaultValueFactory = _ => DetectionMethod.Probe,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (text is "probe") return DetectionMethod.Probe;
            if (text is "alert") return DetectionMethod.Alert;
            result.AddError($"--detect '{text}' is not understood; accepted: probe, alert");
            return default;
        },
    };
    static readonly Option<string?> Restore = FailoverCommand.SourceOption("--restore",
        "treat the replica as unusable: the runbook restores this into the promoted standby (failover --restore-from): a backup (latest or a name), or pitr (the end of the WAL archive; also pitr:<time>, pitr:lsn:<X/Y>)");
    static readonly Option<bool> ToTime = new("--to-time")
    {
        Description = "with --restore pitr: the drill runs a DELETE without WHERE on render_jobs, and the runbook restores to the moment just before it; the deleted rows must be back and nothing acknowledged after that moment present",
    };
    public static Command Create(CliContext context)
    {
        var drill = new Command("drill", "inject a disaster under a write workload, recover, and report the RTO and RPO achieved")
        {
            Owner, Output, Disaster, Writers, WarmUp, Detach, Restore, ToTime, Detect,
        };
        drill.SetAction(async (parse, ct) =>
        {
            var options = new DrillOptions(
                WorkDirectory: parse.GetValue(GlobalOptions.WorkDirectory)!,
                Owner: parse.GetValue(Owner)!,
                ReportDirectory: parse.GetValue(Output)!,
                Disaster: parse.GetValue(Disaster),
                Writers: parse.GetValue(Writers),
                WarmUp: TimeSpan.FromSeconds(parse.GetValue(WarmUp)),
                DetachStandbyBeforeDisaster: parse.GetValue(Detach),
                RestoreBackup: parse.GetValue(Restore),
                Detect: parse.GetValue(Detect),
                RestoreBeforeDamage: parse.GetValue(ToTime));
            var result = await new FailoverDrill(context.Loggers, context.Progress).RunAsync(options, ct);
            Print(context, result, parse.GetValue(GlobalOptions.Json));
            return result.Passed ? 0 : CliApp.Failure;
        });
        return drill;
    }

    internal static void Print(CliContext context, DrillResult result, bool json)
    {
        var report = result.Report;
        if (json)
        {
            JsonOutput.Write(context, new
            {
                passed = report.Passed,
                report = result.Files.Markdown,
                timeline = result.Files.Timeline,
                rtoSeconds = report.ActualRto.TotalSeconds,
                detection = new { method = result.Measurements.Detection, seconds = result.Measurements.DetectionTime.TotalSeconds },
                rtoTargetSeconds = report.Objective.Rto.TotalSeconds,
                dataLoss = report.DataLoss,
                runbookDataLoss = result.Measurements.RunbookLoss,
                rpoTargetSeconds = report.Objective.Rpo.TotalSeconds,
                acknowledgedCommits = result.Measurements.Rpo.AcknowledgedCommits,
                // The unit of the figures above: "commit" (database disasters) or "write" (kill-redis: the cache's).
                unit = report.DataLoss.Unit,
                runbook = new
                {
                    name = result.Run.Header.Runbook, runId = result.Run.Header.RunId, status = result.Run.Status,
                    steps = result.Run.Steps.Select(s => new { s.Id, s.Outcome, s.Output }),
                    sources = result.Run.Facts.GetValueOrDefault(FactKeys.Candidates),
                },
                steps = report.Timeline,
            });
            return;
        }
        context.Out.WriteLine($"drill {(report.Passed ? "PASSED" : "FAILED")}");
        context.Out.WriteLine($"  RTO {report.ActualRto.TotalSeconds:0.000} s (target {report.Objective.Rto.TotalMinutes:0} min, {report.Objective.Name}) {(report.RtoMet ? "met" : "MISSED")}");
        context.Out.WriteLine($"  data loss {report.DataLoss.Describe()}, of {result.Measurements.Rpo.AcknowledgedCommits} acknowledged {report.DataLoss.Unit}s (target {report.Objective.Rpo.TotalMinutes:0} min) {(report.RpoMet is true ? "met" : report.RpoMet is false ? "MISSED" : "NOT SHOWN")}");
        context.Out.WriteLine($"  the runbook recorded on its own: {result.Measurements.RunbookLoss.Describe()}");
        context.Out.WriteLine($"  report:   {result.Files.Markdown}");
        context.Out.WriteLine($"  timeline: {result.Files.Timeline}");
    }
}
