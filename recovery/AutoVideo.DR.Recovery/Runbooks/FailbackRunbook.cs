using AutoVideo.DR.Recovery.Incidents;
using static AutoVideo.DR.Recovery.Runbooks.RunbookSteps;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// Failback, once the old primary's side is back: rejoin it as the standby of the promoted one
/// (in the cloud, the prod stack's role becomes standby and it replicates from dr). With
/// switch-back, the same steps as a failover then hand the primary role back, as a planned
/// switchover: the serving primary stops cleanly first, so nothing written is lost.
/// </summary>
public static class FailbackRunbook
{
    public static Runbook Build(IRunbookTarget target, IncidentReport report, bool switchBack)
    {
        List<RunbookStep> steps =
        [
            Assess(target, "probe every node; record the serving primary and the old primary to bring back (fenced, or already its standby when an earlier failback rejoined it)",
                (a, request) =>
                {
                    if (switchBack && a.Primary == a.HomePrimary && string.IsNullOrEmpty(a.Fenced) && request.Declared != Declaration.Planned)
                        throw new RecoveryException($"nothing to fail back: {a.HomePrimary} is the primary already and no node is fenced; a switch-back now would be a switchover to {a.Standby ?? "the standby"}: pass --planned if that is what you want");
                    if (string.IsNullOrEmpty(a.Primary) || a.Failed.Contains(a.Primary))
                        throw new RecoveryException($"no serving primary to fail back to ({(a.Primary is null ? "none recorded" : $"{a.Primary} is down")}); run 'autovideo-dr failover' first");
                    if (string.IsNullOrEmpty(a.Fenced) && string.IsNullOrEmpty(a.Standby))
                        throw new RecoveryException($"there is neither a fenced old primary nor a standby to bring back (primary {a.Primary}); failback follows a failover");
                }),
            Rejoin(target, "rejoin-old-primary", "rejoin the old primary as standby",
                "rebuild the fenced old primary as a streaming standby of the promoted one (locally pg_rewind, else a base backup; stacks: its role becomes standby replicating from the promoted stack, pulumi up)",
                FactKeys.Returning),
            Verify(target, "verify-replication", "verify replication", "the primary accepts a write and the rejoined standby streams from it",
                requireStandby: true),
        ];
        if (switchBack)
        {
            steps.AddRange(
            [
                new RunbookStep("stop-serving-primary", "stop the serving primary cleanly",
                    "planned switch-back: stop the promoted primary cleanly, which ships all its WAL to the standby first, and wait until the standby has replayed its last LSN, so nothing is lost",
                    TimeSpan.FromMinutes(5),
                    async (context, ct) => new StepResult(await target.StopWritesAsync(context.Fact(FactKeys.Primary), context.Fact(FactKeys.Returning), ct)),
                    (context, ct) => target.CaughtUpAsync(context.Fact(FactKeys.Primary), context.Fact(FactKeys.Returning), ct)),
                Promote(target, "promote-old-primary", "promote the old primary back",
                    "promote the rejoined old primary (the same promotion as a failover); checked by it accepting writes", FactKeys.Returning),
                MeasureDataLoss(target, restore: null),
                SwitchTraffic(target, "point clients back at the original primary and check where a client lands", FactKeys.Returning),
                Rejoin(target, "rejoin-demoted", "rejoin the demoted primary as standby",
                    "rebuild the node that served during the incident as a standby of the original primary", FactKeys.Primary),
                Verify(target, "full-verification", "full verification", "the original primary writes and the standby streams from it",
                    requireStandby: true),
            ]);
        }
        if (!switchBack) steps.Add(MeasureDataLoss(target, restore: null));
        steps.Add(Report(report));
        return new Runbook(switchBack ? "failback-switch-back" : "failback", null, target.Name, steps,
            ServiceRestoredBy: switchBack ? "switch-traffic" : "verify-replication");
    }
}
