using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using static AutoVideo.DR.Recovery.Runbooks.RunbookSteps;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The plan's critical procedure ("嚴重災難恢復程序"): start the standby environment, restore data
/// from the latest backup where needed, verify, switch traffic — with the assessment (and the
/// choice of the source that loses least) before it, clients held off a node being restored, the
/// old primary fenced before anything is promoted, the data loss measured, and the report at the end.
/// A drill runs exactly this runbook.
/// </summary>
public static class CriticalRunbook
{
    public static Runbook Build(IRunbookTarget target, RestoreSources restore, IncidentReport report) => new(
        "failover-critical", DisasterLevel.Critical, target.Name,
        [
            AssessAndChooseSource(target, restore,
                "probe every node and component; record the primary, the standby to promote, what is down; then what promoting the replica would lose and what restoring the newest backup would lose (each measured, bounded or unknown), and choose the smaller loss",
                (a, request) =>
                {
                    RequireSomethingDown(a, request, "a critical failover");
                    if (string.IsNullOrEmpty(a.Standby))
                        throw new RecoveryException("there is no standby to fail over to (no node or stack holds the standby role); see 'autovideo-dr health'");
                    if (a.Failed.Contains(a.Standby))
                        throw new RecoveryException($"the standby {a.Standby} is down too ({a.Health.Components.FirstOrDefault(c => c.Name == a.Standby)?.Detail}): there is nothing to promote; bring it up (or restore a backup into it) and run the same command again");
                }),
            HoldClients(target),
            StopWrites(target),
            Promote(target, "promote-standby", "promote the standby",
                "start the standby environment as primary: fence the old primary first (locally stop it for good, then pg_promote; stacks: traffic fenced away from it in the global stack, then the standby stack's role primary and pulumi up); checked by the node accepting writes",
                FactKeys.Standby),
            Fence(target, "make sure the old primary can never accept writes again (stopped, and started only in recovery); stacks: traffic stays fenced away from it", FactKeys.Primary, FactKeys.Standby),
            RestoreData(target, restore),
            MeasureDataLoss(target, restore),
            Verify(target, "verify", "post-recovery verification",
                "write and read on the new primary, and check the data is readable", requireStandby: false),
            SwitchTraffic(target, "point clients at the new primary and let them in (locally: the multi-host client connection string resolves to it, a hold is released; stacks: the global stack's failover records) and check where a client lands", FactKeys.Standby),
            Report(report),
        ],
        ServiceRestoredBy: "switch-traffic");
}
