using System.Globalization;
using AutoVideo.DR.Recovery.Incidents;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The steps the runbooks are made of. Steps pass node names to each other through facts (so a
/// resumed run, which rebuilds facts from the journal, acts on the same nodes as the first).
/// </summary>
public static class RunbookSteps
{
    static readonly TimeSpan Short = TimeSpan.FromSeconds(60);
    static readonly TimeSpan Long = TimeSpan.FromMinutes(30);

    /// <summary>What the assessment must find for this runbook to go on; throws a RecoveryException otherwise.</summary>
    public delegate void Requirement(TargetAssessment assessment);

    public static RunbookStep Assess(IRunbookTarget target, string description, Requirement requirement) => new(
        "assess", "assess the environment", description, Short,
        async (context, ct) =>
        {
            var a = await target.AssessAsync(ct);
            requirement(a);
            var facts = new Dictionary<string, string>
            {
                [FactKeys.Primary] = a.Primary ?? "",
                [FactKeys.Standby] = a.Standby ?? "",
                [FactKeys.Fenced] = a.Fenced ?? "",
                [FactKeys.Returning] = a.Fenced ?? a.Standby ?? "",
                [FactKeys.Failed] = string.Join(",", a.Failed),
                [FactKeys.ReplicaUsable] = a.ReplicaUsable ? "true" : "false",
                [FactKeys.ReplicaDetail] = a.ReplicaDetail,
                [FactKeys.DataLossSeconds] = (a.StandbyLagSeconds ?? 0).ToString("0.###", CultureInfo.InvariantCulture),
            };
            var down = a.Failed.Count == 0 ? "nothing down" : $"down: {string.Join(", ", a.Failed)}";
            return new StepResult($"level {a.Assessment.LevelName}; {down}; primary {Name(a.Primary)}, standby {Name(a.Standby)}; replica {(a.ReplicaUsable ? "usable" : "unusable")}: {a.ReplicaDetail}", facts);
        },
        (context, _) => Task.FromResult(context.TryFact(FactKeys.Standby) is null ? StepCheck.No("no assessment recorded") : StepCheck.Yes("assessment recorded")),
        ChangesNothing: true);

    public static RunbookStep Promote(IRunbookTarget target, string id, string title, string description, string nodeFact) => new(
        id, title, description, Long,
        async (context, ct) => new StepResult(await target.PromoteAsync(context.Fact(nodeFact), ct), new Dictionary<string, string> { [FactKeys.Serving] = context.Fact(nodeFact) }),
        (context, ct) => target.IsPrimaryAsync(context.Fact(nodeFact), ct));

    public static RunbookStep Fence(IRunbookTarget target, string description, string nodeFact, string newPrimaryFact) => new(
        "fence-old-primary", "fence the old primary", description, Short,
        async (context, ct) => new StepResult(await target.FenceAsync(context.Fact(nodeFact), context.Fact(newPrimaryFact), ct)),
        (context, ct) => target.IsFencedAsync(context.Fact(nodeFact), ct),
        SkipWhen: context => context.TryFact(nodeFact) is "" ? "no old primary is recorded: nothing to fence" : null);

    public static RunbookStep RestoreData(IRunbookTarget target, IDataRestore restore) => new(
        "restore-data", "restore data where the replica is unusable",
        "when the promoted replica was down, lagging beyond the RPO or not a replica, restore the newest verified backup into it; otherwise skipped with the reason",
        Long,
        async (context, ct) =>
        {
            var environment = await target.DescribeAsync(ct);
            var node = environment.Databases.First(d => d.Name == context.Fact(FactKeys.Standby));
            var outcome = await restore.RestoreLatestAsync(environment, node, ct);
            return new StepResult($"restored {outcome.Backup} into {node.Name}: {outcome.Detail}");
        },
        async (context, ct) =>
        {
            var environment = await target.DescribeAsync(ct);
            return await restore.IsRestoredAsync(environment, environment.Databases.First(d => d.Name == context.Fact(FactKeys.Standby)), ct);
        },
        SkipWhen: context => context.Fact(FactKeys.ReplicaUsable) == "true" ? $"replica usable, no restore needed: {context.Fact(FactKeys.ReplicaDetail)}" : null);

    public static RunbookStep Verify(IRunbookTarget target, string id, string title, string description, bool requireStandby) => new(
        id, title, description, Short,
        async (context, ct) => new StepResult((await target.VerifyAsync(requireStandby, ct)).Detail),
        (context, ct) => target.VerifyAsync(requireStandby, ct));

    public static RunbookStep SwitchTraffic(IRunbookTarget target, string description, string nodeFact) => new(
        "switch-traffic", "switch traffic to the new primary", description, Long,
        async (context, ct) => new StepResult(await target.SwitchTrafficAsync(context.Fact(nodeFact), ct)),
        (context, ct) => target.TrafficReachesAsync(context.Fact(nodeFact), ct));

    public static RunbookStep Rejoin(IRunbookTarget target, string id, string title, string description, string nodeFact) => new(
        id, title, description, Long,
        async (context, ct) => new StepResult(await target.RejoinAsync(context.Fact(nodeFact), ct)),
        (context, ct) => target.IsStreamingStandbyAsync(context.Fact(nodeFact), ct));

    public static RunbookStep Report(IncidentReport report) => new(
        "report", "write the post-incident report",
        "write the post-incident report (the plan's DR report template with the RTO and RPO achieved and the timeline) beside the journal, and post it to the webhook if one was given",
        Short,
        async (context, ct) =>
        {
            var written = await report.WriteAsync(context.Incident(), ct);
            return new StepResult(written);
        },
        (context, _) => Task.FromResult(File.Exists(report.MarkdownPath(context.RunId))
            ? StepCheck.Yes($"report at {report.MarkdownPath(context.RunId)}")
            : StepCheck.No("no report written")));

    static string Name(string? node) => string.IsNullOrEmpty(node) ? "none" : node;
}
