using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using static AutoVideo.DR.Recovery.Runbooks.RunbookSteps;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The minor path ("一般故障"): one component is down while the primary serves. Bring that one
/// component back and verify; anything wider is refused with the level to use instead.
/// </summary>
public static class MinorRunbook
{
    public static Runbook Build(IRunbookTarget target, IncidentReport report) => new(
        "failover-minor", DisasterLevel.Minor, target.Name,
        [
            Assess(target, "probe every node and component; the minor path needs the primary up and at most one component down",
                (a, _) =>
                {
                    RequireSomethingToRepair(a, "minor");
                    if (a.Primary is null || a.Failed.Contains(a.Primary))
                        throw new RecoveryException($"the primary {a.Primary ?? "(none)"} is down: that is at least a major failure; run 'autovideo-dr failover --level major' (or critical)");
                    if (a.Cache is { PrimaryDown: true } cache)
                        throw new RecoveryException($"the cache primary {cache.Primary} is down: that is a major failure (Redis 故障); run 'autovideo-dr failover --level major'");
                    if (a.Failed.Count > 1)
                        throw new RecoveryException($"{a.Failed.Count} components are down ({string.Join(", ", a.Failed)}): that is at least a major failure; run 'autovideo-dr failover --level major'");
                }),
            new RunbookStep("repair-component", "repair the failed component",
                "start the one failed component again; a standby that will not start is rebuilt from the primary",
                TimeSpan.FromMinutes(10),
                async (context, ct) => new StepResult(await target.RestartAsync(context.Fact(FactKeys.Failed), ct)),
                (context, ct) => target.IsStreamingStandbyAsync(context.Fact(FactKeys.Failed), ct),
                SkipWhen: context => context.Fact(FactKeys.Failed) == "" ? "no component is down" : null),
            MeasureDataLoss(target, restore: null),
            Verify(target, "verify", "verify the service",
                "the primary accepts a write and a read and the standby streams from it", requireStandby: true),
            Report(report),
        ],
        ServiceRestoredBy: "verify");
}
