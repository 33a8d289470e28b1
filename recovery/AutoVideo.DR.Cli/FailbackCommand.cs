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
    public static Command Create(CliContext context)
    {
        var switchBack = new Option<bool>("--switch-back") { Description = "after the rejoin, make the original primary the primary again (planned, no data loss)" };
        var failback = new Command("failback", "rejoin the old primary as standby of the promoted one, and optionally switch back (journaled; run it again to resume)")
        {
            switchBack, FailoverCommand.Stack, FailoverCommand.PeerStack, FailoverCommand.Local, FailoverCommand.DryRun, FailoverCommand.DeclaredBy, FailoverCommand.Webhook,
        };
        failback.SetAction(async (parse, ct) =>
        {
            var (target, directory) = FailoverCommand.Target(context, parse);
            var runbook = RunbookCatalog.Failback(target, new IncidentReport(directory), parse.GetValue(switchBack));
            return await FailoverCommand.PlanOrRunAsync(context, parse, runbook, directory, ct);
        });
        return failback;
    }
}
