using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using static AutoVideo.DR.Recovery.Runbooks.RunbookSteps;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The plan's major procedure ("重大故障恢復程序"): isolate the failed components, restore the
/// available services, repair the failed components, full verification. The components are the
/// database nodes and the cache (Redis, <see cref="CacheSteps"/>): a failed cache primary is recovered
/// from its replica, or from the newest backup's Redis part, beside the database.
/// </summary>
public static class MajorRunbook
{
    public static Runbook Build(IRunbookTarget target, IncidentReport report) => new(
        "failover-major", DisasterLevel.Major, target.Name,
        [
            Assess(target, "probe every node and component and record which failed",
                (a, _) =>
                {
                    RequireSomethingToRepair(a, "major");
                    if (a.Failed.Count == a.Health.Components.Count(c => c.Kind == Health.ComponentKind.Database && c.ExpectedRole != Environments.NodeRole.Fenced))
                        throw new RecoveryException($"every database is down ({string.Join(", ", a.Failed)}): that is a critical disaster; run 'autovideo-dr failover --level critical' after restoring one, or restore from backup");
                    CacheSteps.RequireRecoverable(a);
                }),
            OnEachFailed("isolate-failed", "isolate the failed components",
                "stop every failed node so it cannot come back half-working; a failed primary is also fenced so it never takes writes again",
                TimeSpan.FromSeconds(60), target.IsolateAsync, target.IsIsolatedAsync, "no component to isolate"),
            new RunbookStep("restore-available", "restore the available services",
                "if the primary failed, promote the healthy standby so the database serves writes again; skipped while the primary serves",
                TimeSpan.FromMinutes(30),
                async (context, ct) => new StepResult(await target.PromoteAsync(context.Fact(FactKeys.Standby), ct),
                    new Dictionary<string, string> { [FactKeys.Serving] = context.Fact(FactKeys.Standby) }),
                (context, ct) => target.IsPrimaryAsync(context.Fact(FactKeys.Standby), ct),
                SkipWhen: context => Failed(context).Contains(context.Fact(FactKeys.Primary)) ? null : $"the primary {context.Fact(FactKeys.Primary)} serves: nothing to restore"),
            CacheSteps.RestoreCache(target),
            MeasureDataLoss(target, restore: null),
            CacheSteps.MeasureCacheLoss(target),
            OnEachFailed("repair-failed", "repair the failed components",
                "rebuild every failed node as a streaming standby of the serving primary (pg_rewind where it can, else a fresh base backup)",
                TimeSpan.FromMinutes(30), target.RejoinAsync, target.IsStreamingStandbyAsync, "no component to repair"),
            CacheSteps.RepairCache(target),
            new RunbookStep("full-verification", "full verification",
                "the primary accepts a write and a read, the repaired standby streams from it, and clients' connection string lands on the primary; the cache primary takes a write through clients' cache endpoint and its replicas replicate from it",
                TimeSpan.FromSeconds(60),
                async (_, ct) => new StepResult((await VerifyAllAsync(target, ct)).Detail),
                (_, ct) => VerifyAllAsync(target, ct)),
            Report(report),
        ],
        ServiceRestoredBy: "full-verification");

    static async Task<StepCheck> VerifyAllAsync(IRunbookTarget target, CancellationToken ct)
    {
        var database = await target.VerifyAsync(requireStandby: true, ct);
        var cache = await target.VerifyCacheAsync(ct);
        return new StepCheck(database.TookEffect && cache.TookEffect, $"{database.Detail}; {cache.Detail}");
    }

    static List<string> Failed(RunContext context) =>
        context.Fact(FactKeys.Failed).Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>A step that acts on every failed node in turn; done when its check holds for all of them.</summary>
    static RunbookStep OnEachFailed(string id, string title, string description, TimeSpan timeout,
        Func<string, CancellationToken, Task<string>> action, Func<string, CancellationToken, Task<StepCheck>> check, string nothing) => new(
        id, title, description, timeout,
        async (context, ct) =>
        {
            var lines = new List<string>();
            foreach (var node in Failed(context)) lines.Add(await action(node, ct));
            return new StepResult(string.Join("; ", lines));
        },
        async (context, ct) =>
        {
            var checks = new List<StepCheck>();
            foreach (var node in Failed(context)) checks.Add(await check(node, ct));
            return new StepCheck(checks.All(c => c.TookEffect), string.Join("; ", checks.Select(c => c.Detail)));
        },
        SkipWhen: context => Failed(context).Count == 0 ? $"nothing failed: {nothing}" : null);
}
