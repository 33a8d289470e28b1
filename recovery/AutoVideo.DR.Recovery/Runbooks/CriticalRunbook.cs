using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using static AutoVideo.DR.Recovery.Runbooks.RunbookSteps;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The plan's critical procedure ("嚴重災難恢復程序"): start the standby environment, restore data
/// from the latest backup where needed, verify, switch traffic — with the assessment before it,
/// the fencing of the old primary after the promotion, and the report at the end.
/// </summary>
public static class CriticalRunbook
{
    public static Runbook Build(IRunbookTarget target, IDataRestore restore, IncidentReport report) => new(
        "failover-critical", DisasterLevel.Critical, target.Name,
        [
            Assess(target, "probe every node and component; record the primary, the standby to promote, what is down and whether the replica is usable (its lag is the data at risk)",
                a =>
                {
                    if (string.IsNullOrEmpty(a.Standby))
                        throw new RecoveryException("there is no standby to fail over to (no node or stack holds the standby role); see 'autovideo-dr health'");
                    if (a.Failed.Contains(a.Standby))
                        throw new RecoveryException($"the standby {a.Standby} is down too: there is nothing to promote; bring it up (or restore a backup into it) and run the same command again");
                }),
            Promote(target, "promote-standby", "promote the standby",
                "start the standby environment as primary (locally: fence the old primary, then pg_promote; stacks: set the standby stack's role to primary and pulumi up); checked by the node accepting writes",
                FactKeys.Standby),
            Fence(target, "make sure the old primary can never accept writes again (stopped, and started only in recovery); stacks: its role becomes standby", FactKeys.Primary, FactKeys.Standby),
            RestoreData(target, restore),
            Verify(target, "verify", "post-recovery verification",
                "write and read on the new primary, and check the data is readable", requireStandby: false),
            SwitchTraffic(target, "point clients at the new primary (locally: the multi-host client connection string resolves to it; stacks: the failover DNS records through pulumi up) and check where a client lands", FactKeys.Standby),
            Report(report),
        ],
        ServiceRestoredBy: "switch-traffic");
}
