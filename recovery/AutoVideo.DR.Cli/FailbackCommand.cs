using System.CommandLine;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Runbooks;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr failback [--switch-back]: once the old primary's side is back, rejoin it as the
/// standby of the promoted one; with --switch-back, hand the primary role back as well.
/// </summary>
public static class FailbackCommand
{
    static readonly Option<bool> SwitchBack = new("--switch-back") { Description = "after the rejoin, make the original primary the primary again (planned, no data loss)" };

    public static Command Create(CliContext context)
    {
        var failback = new Command("failback", "rejoin the old primary as standby of the promoted one, and optionally switch back (journaled; run it again to resume)") { SwitchBack };
        RunbookOptions.AddTo(failback);
        failback.SetAction(async (parse, ct) =>
        {
            var (target, _, directory) = RunbookOptions.Target(context, parse);
            var runbook = RunbookCatalog.Failback(target, new IncidentReport(directory), parse.GetValue(SwitchBack));
            return await RunbookOptions.PlanOrRunAsync(context, parse, runbook, directory, RunbookOptions.Request(parse), preview: null, ct);
        });
        return failback;
    }
}
