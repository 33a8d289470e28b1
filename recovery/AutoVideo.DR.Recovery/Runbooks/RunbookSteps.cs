using System.Globalization;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.PointInTime;
using NpgsqlTypes;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// The steps the runbooks are made of. Steps pass node names to each other through facts (so a
/// resumed run, which rebuilds facts from the journal, acts on the same nodes as the first).
/// </summary>
public static class RunbookSteps
{
    /// <summary>The fact value of <see cref="FactKeys.Source"/> when the replica is promoted (else a backup's name).</summary>
    public const string ReplicaSource = "replica";

    /// <summary>When the assessment saw the failure: no commit (or cache write) of the lost primary is later than this.</summary>
    internal const string AssessedAtFact = "assessed-at";
    const string ReplicaLsnFact = "replica-lsn";
    const string ReplicaLastCommitFact = "replica-last-commit";
    const string HomePrimaryFact = "home-primary";

    static readonly TimeSpan Short = TimeSpan.FromSeconds(60);
    static readonly TimeSpan Long = TimeSpan.FromMinutes(30);

    /// <summary>What the assessment must find for this runbook to go on (given why it was declared); throws a RecoveryException otherwise.</summary>
    public delegate void Requirement(TargetAssessment assessment, RunRequest request);

    public static RunbookStep Assess(IRunbookTarget target, string description, Requirement requirement) => new(
        "assess", "assess the environment", description, Short,
        async (context, ct) =>
        {
            var a = await target.AssessAsync(ct);
            requirement(a, context.Request);
            return new StepResult(Summary(a, context.Request), Facts(a, context.Request, DateTimeOffset.UtcNow));
        },
        (context, _) => Task.FromResult(context.TryFact(FactKeys.Standby) is null ? StepCheck.No("no assessment recorded") : StepCheck.Yes("assessment recorded")),
        ChangesNothing: true);

    /// <summary>
    /// The critical runbook's assessment: as <see cref="Assess"/>, and then which source of data loses
    /// least, the promoted replica or the newest backup, each with what it would lose (measured,
    /// bounded or unknown), unless the operator ordered a backup restored (--restore-from).
    /// </summary>
    public static RunbookStep AssessAndChooseSource(IRunbookTarget target, RestoreSources restore, string description, Requirement requirement) => new(
        "assess", "assess the environment and choose the source that loses least", description, Short,
        async (context, ct) =>
        {
            var assessedAt = DateTimeOffset.UtcNow;
            var a = await target.AssessAsync(ct);
            requirement(a, context.Request);
            var choice = await ChooseSourceAsync(target, restore, a, context.Request, assessedAt, ct);
            var facts = Facts(a, context.Request, assessedAt);
            facts[FactKeys.Source] = choice.Source;
            facts[FactKeys.Candidates] = choice.Candidates;
            return new StepResult($"{Summary(a, context.Request)}; source: {choice.Candidates}", facts);
        },
        (context, _) => Task.FromResult(context.TryFact(FactKeys.Source) is null ? StepCheck.No("no assessment recorded") : StepCheck.Yes("assessment recorded")),
        ChangesNothing: true);

    /// <summary>The sources, what each would lose, and the one chosen, as one line for the journal, the plan and the report.</summary>
    public sealed record SourceChoice(string Source, string Candidates);

    public static async Task<SourceChoice> ChooseSourceAsync(IRunbookTarget target, RestoreSources restore, TargetAssessment a, RunRequest request, DateTimeOffset assessedAt, CancellationToken ct)
    {
        var environment = await target.DescribeAsync(ct);
        DataLoss? replica = null;
        string replicaLine;
        if (request.Declared == Declaration.Planned)
        {
            replicaLine = $"replica {a.Standby}: nothing, once writes stop and it has caught up (planned)";
            replica = DataLoss.Measured(0, TimeSpan.Zero, "planned switchover");
        }
        else if (!a.ReplicaUsable || a.ReplicaPoint is null)
        {
            replicaLine = $"replica {a.Standby ?? "(none)"}: {(a.ReplicaUsable ? "its position cannot be read" : "unusable")} ({a.ReplicaDetail})";
            if (a.ReplicaUsable) replica = DataLoss.Unknown($"the replica's position cannot be read: {a.ReplicaDetail}");
        }
        else
        {
            replica = await target.LossAfterAsync(a.ReplicaPoint, assessedAt, ct);
            replicaLine = $"replica {a.Standby}: {replica.Describe()}";
        }

        // Every engine offers the latest it can restore to (or, ordered, the operator's source), each with what it would lose.
        var offers = new List<(string Name, DataLoss Loss)>();
        var lines = new List<string>();
        if (request.RestoreFrom is { } ordered)
        {
            if (request.Declared == Declaration.Planned)
                throw new RecoveryException("--restore-from and --planned exclude each other: a planned switchover loses nothing by promoting the caught-up standby");
            var engine = restore.For(ordered);
            var resolved = await engine.ResolveAsync(environment, ordered, ct);
            var loss = await target.LossAfterAsync(resolved.Point, assessedAt, ct);
            offers.Add((resolved.Name, loss));
            lines.Add($"{engine.Kind} {resolved.Name}: {loss.Describe()}");
        }
        else
        {
            foreach (var engine in restore.Engines)
            {
                (string Name, RecoveryPoint Point)? newest;
                try { newest = await engine.NewestAsync(environment, ct); }
                catch (RecoveryException e) { lines.Add($"{engine.Kind}: unusable ({e.Message})"); continue; }
                if (newest is not { } n) { lines.Add($"{engine.Kind}: none in the environment's store"); continue; }
                var loss = await target.LossAfterAsync(n.Point, assessedAt, ct);
                offers.Add((n.Name, loss));
                lines.Add($"{engine.Kind} {n.Name}: {loss.Describe()}");
            }
        }
        // The restorable source that loses least; a tie goes to the engine offered first.
        (string Name, DataLoss Loss)? best = null;
        foreach (var offer in offers)
            if (best is null || Less(offer.Loss, best.Value.Loss)) best = offer;
        var restoreLines = string.Join("; ", lines);

        string source;
        string why;
        if (request.RestoreFrom is not null)
        {
            source = best!.Value.Name;
            why = "ordered by the operator (--restore-from)";
        }
        else if (replica is not null && (best is null || !Less(best.Value.Loss, replica)))
        {
            source = ReplicaSource;
            why = best is null ? "no backup or point in time to compare" : "it loses no more than any restore";
        }
        else if (best is { } chosen)
        {
            source = chosen.Name;
            why = replica is null ? "the replica cannot be promoted" : "it loses less than the replica";
        }
        else
        {
            throw new RecoveryException($"neither the replica nor a backup can be recovered from ({replicaLine}; {restoreLines}); bring the standby back or take a backup into the store, then run the same command again");
        }
        return new SourceChoice(source, $"{replicaLine}; {restoreLines}; chosen: {(source == ReplicaSource ? "the replica" : source)}, {why}");
    }

    /// <summary>Whether <paramref name="a"/> certainly loses less than <paramref name="b"/>: both known, and a smaller. A usable replica whose loss is unknown is kept.</summary>
    static bool Less(DataLoss a, DataLoss b) =>
        a.Comparable is { } x && b.Comparable is { } y && (x < y || (x == y && a.LostCommits < b.LostCommits));

    static Dictionary<string, string> Facts(TargetAssessment a, RunRequest request, DateTimeOffset assessedAt)
    {
        var facts = new Dictionary<string, string>
        {
            [FactKeys.Primary] = a.Primary ?? "",
            [FactKeys.Standby] = a.Standby ?? "",
            [FactKeys.Fenced] = a.Fenced ?? "",
            [FactKeys.Returning] = a.Fenced ?? a.Standby ?? "",
            [FactKeys.Failed] = string.Join(",", a.Failed),
            [FactKeys.ReplicaUsable] = a.ReplicaUsable ? "true" : "false",
            [FactKeys.ReplicaDetail] = a.ReplicaDetail,
            [FactKeys.Declared] = request.Declared.ToString(),
            [AssessedAtFact] = assessedAt.ToString("O", CultureInfo.InvariantCulture),
            [HomePrimaryFact] = a.HomePrimary,
        };
        if (a.ReplicaPoint?.Lsn is { } lsn) facts[ReplicaLsnFact] = new NpgsqlLogSequenceNumber(lsn).ToString();
        if (a.ReplicaPoint?.LastCommitAt is { } last) facts[ReplicaLastCommitFact] = last.ToString("O", CultureInfo.InvariantCulture);
        if (a.Cache is { } cache)
            foreach (var (k, v) in CacheSteps.Facts(cache)) facts[k] = v;
        return facts;
    }

    static string Summary(TargetAssessment a, RunRequest request)
    {
        string[] failed = [.. a.Failed, .. a.Cache is { PrimaryDown: true } cache ? [cache.Primary] : Array.Empty<string>()];
        var down = failed.Length == 0 ? "nothing down" : $"down: {string.Join(", ", failed)}";
        var why = request.Declared switch { Declaration.Planned => " (planned)", Declaration.SecurityBreach => " (security breach declared)", _ => "" };
        return $"level {a.Assessment.LevelName}{why}; {down}; primary {Name(a.Primary)}, standby {Name(a.Standby)}; replica {(a.ReplicaUsable ? "usable" : "unusable")}: {a.ReplicaDetail}"
            + (a.Cache is { } c ? $"; {CacheSteps.Summary(c)}" : "");
    }

    /// <summary>Refuses to act on a system in which the assessment found nothing down, unless the operator said why.</summary>
    public static void RequireSomethingDown(TargetAssessment a, RunRequest request, string action)
    {
        if (request.Declared == Declaration.Planned && a.Primary is { } primary && a.Failed.Contains(primary))
            throw new RecoveryException($"--planned stops a healthy primary cleanly, but {primary} is down: declare the disaster without --planned");
        if (a.Failed.Count == 0 && request.Declared == Declaration.Disaster && a.Cache is { PrimaryDown: true } cache)
            throw new RecoveryException($"only the cache primary {cache.Primary} is down, the database serves: that is a major failure (Redis 故障); run 'autovideo-dr failover --level major'");
        if (a.Failed.Count == 0 && request.Declared == Declaration.Disaster)
            throw new RecoveryException($"nothing is down (level {a.Assessment.LevelName}): {action} would abandon a healthy primary; pass --security-breach to abandon it anyway, or --planned for a clean switchover that loses nothing");
    }

    /// <summary>
    /// Refuses a repair runbook (major, minor) where the assessment finds nothing wrong: it would only
    /// wait for checks that cannot pass (no failed node to rebuild, no standby to stream).
    /// </summary>
    public static void RequireSomethingToRepair(TargetAssessment a, string runbook)
    {
        if (a.Failed.Count > 0 || a.Assessment.Level is not null) return;
        var fenced = string.IsNullOrEmpty(a.Fenced) ? "" : $"; {a.Fenced} is fenced since a failover: bring it back as the standby with 'autovideo-dr failback'";
        throw new RecoveryException($"nothing is down (level none): the {runbook} runbook has nothing to repair{fenced}");
    }

    public static RunbookStep HoldClients(IRunbookTarget target) => new(
        "hold-clients", "keep clients off the standby",
        "when data is restored from a backup, keep application clients off the node being restored (refused, not redirected) until the restore is verified and traffic is switched: nothing they write can be overwritten",
        Short,
        async (context, ct) => new StepResult(await target.HoldClientsAsync(context.Fact(FactKeys.Standby), ct)),
        (context, ct) => target.ClientsHeldAsync(context.Fact(FactKeys.Standby), ct),
        SkipWhen: context => context.Fact(FactKeys.Source) == ReplicaSource ? "the replica is promoted as it is: clients may use it at once" : null);

    public static RunbookStep StopWrites(IRunbookTarget target) => new(
        "stop-writes", "stop writes and let the standby catch up",
        "planned switchover only: stop the primary cleanly (it sends all its WAL first) and wait until the standby has replayed its last LSN, so the promotion loses nothing",
        TimeSpan.FromMinutes(5),
        async (context, ct) => new StepResult(await target.StopWritesAsync(context.Fact(FactKeys.Primary), context.Fact(FactKeys.Standby), ct)),
        (context, ct) => target.CaughtUpAsync(context.Fact(FactKeys.Primary), context.Fact(FactKeys.Standby), ct),
        SkipWhen: context => context.Fact(FactKeys.Declared) == nameof(Declaration.Planned) ? null : "not a planned switchover");

    public static RunbookStep Promote(IRunbookTarget target, string id, string title, string description, string nodeFact) => new(
        id, title, description, Long,
        async (context, ct) => new StepResult(await target.PromoteAsync(context.Fact(nodeFact), ct), new Dictionary<string, string> { [FactKeys.Serving] = context.Fact(nodeFact) }),
        (context, ct) => target.IsPrimaryAsync(context.Fact(nodeFact), ct),
        // A point-in-time restore makes the node primary itself; promoting it first would put a new
        // timeline into the archive the restore reads, and the end of the archive would be the replica's.
        SkipWhen: context => context.TryFact(FactKeys.Source) is { } source && RecoveryTarget.IsSource(source)
            ? $"the point-in-time restore ({source}) makes {context.Fact(nodeFact)} primary itself"
            : null);

    public static RunbookStep Fence(IRunbookTarget target, string description, string nodeFact, string newPrimaryFact) => new(
        "fence-old-primary", "fence the old primary", description, Short,
        async (context, ct) => new StepResult(await target.FenceAsync(context.Fact(nodeFact), context.Fact(newPrimaryFact), ct)),
        (context, ct) => target.IsFencedAsync(context.Fact(nodeFact), ct),
        SkipWhen: context => context.TryFact(nodeFact) is "" ? "no old primary is recorded: nothing to fence" : null);

    public static RunbookStep RestoreData(IRunbookTarget target, RestoreSources restore) => new(
        "restore-data", "restore data from the chosen backup",
        "when the assessment chose a backup (it loses less than the replica, or the operator ordered it), restore that backup into the promoted node and verify every table against its manifest; otherwise skipped with the reason",
        Long,
        async (context, ct) =>
        {
            var environment = await target.DescribeAsync(ct);
            var node = environment.Databases.First(d => d.Name == context.Fact(FactKeys.Standby));
            var outcome = await restore.For(context.Fact(FactKeys.Source)).RestoreAsync(environment, node, context.Fact(FactKeys.Source), ct);
            return new StepResult($"restored {outcome.Backup} into {node.Name}: {outcome.Detail}");
        },
        async (context, ct) =>
        {
            var environment = await target.DescribeAsync(ct);
            return await restore.For(context.Fact(FactKeys.Source)).IsRestoredAsync(environment, environment.Databases.First(d => d.Name == context.Fact(FactKeys.Standby)), context.Fact(FactKeys.Source), ct);
        },
        SkipWhen: context => context.TryFact(FactKeys.Source) is null or ReplicaSource ? $"the replica is recovered from, no restore: {context.TryFact(FactKeys.Candidates) ?? context.Fact(FactKeys.ReplicaDetail)}" : null);

    /// <summary>
    /// Measures what the run lost, once the node serving now is fixed: the commits the old primary made
    /// after the point recovered to (the promoted node's end of recovery, or the restored backup's
    /// snapshot), counted from its WAL where readable, else an upper bound, else unknown with why.
    /// A run that promoted nothing and restored nothing lost nothing.
    /// </summary>
    public static RunbookStep MeasureDataLoss(IRunbookTarget target, RestoreSources? restore) => new(
        "measure-data-loss", "measure the data lost",
        "count the commits the old primary made after the point recovered to (its WAL with pg_waldump, where it can be read), else bound them by the time since the newest commit recovered, else record why it is unknown; never assume 0",
        Short,
        async (context, ct) =>
        {
            var loss = await MeasureAsync(target, restore, context, ct);
            return new StepResult(loss.Describe(), DataLossFacts.Write(loss));
        },
        (context, _) => Task.FromResult(context.TryFact(FactKeys.DataLossKind) is null ? StepCheck.No("no data loss recorded") : StepCheck.Yes("data loss recorded")));

    static async Task<DataLoss> MeasureAsync(IRunbookTarget target, RestoreSources? restore, RunContext context, CancellationToken ct)
    {
        var source = context.TryFact(FactKeys.Source) ?? ReplicaSource;
        var promoted = context.TryFact(FactKeys.Serving);
        if (promoted is null && source == ReplicaSource)
            return DataLoss.Measured(0, TimeSpan.Zero, "no node was promoted and nothing restored in this run: the primary kept serving");
        var assessedAt = AssessedAt(context);
        RecoveryPoint? point;
        if (source != ReplicaSource)
            point = (await restore!.For(source).ResolveAsync(await target.DescribeAsync(ct), source, ct)).Point;
        else
            point = await target.RecoveredPointAsync(promoted!, ct) ?? ReplicaPointAtAssessment(context, promoted!);
        // Without a position the target still says why it cannot count (e.g. a database out of reach).
        return await target.LossAfterAsync(point ?? new RecoveryPoint($"{promoted}'s end of recovery", null, null), assessedAt, ct);
    }

    static RecoveryPoint? ReplicaPointAtAssessment(RunContext context, string node)
    {
        ulong? lsn = context.TryFact(ReplicaLsnFact) is { } l && NpgsqlLogSequenceNumber.TryParse(l, out var parsed) ? (ulong)parsed : null;
        DateTimeOffset? last = context.TryFact(ReplicaLastCommitFact) is { } t ? DateTimeOffset.Parse(t, CultureInfo.InvariantCulture) : null;
        return lsn is null && last is null ? null : new RecoveryPoint($"{node} at the assessment", lsn, last);
    }

    /// <summary>When the assessment saw the failure (now, for a run that recorded none).</summary>
    public static DateTimeOffset AssessedAt(RunContext context) =>
        context.TryFact(AssessedAtFact) is { } at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow;

    /// <summary>The node that is primary in normal operation, as the assessment recorded it.</summary>
    public static string HomePrimary(RunContext context) => context.Fact(HomePrimaryFact);

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
        "write the post-incident report (the plan's DR report template with the RTO and data loss achieved and the timeline) beside the journal, and post it to the webhook if one was given",
        Short,
        async (context, ct) => new StepResult(await report.WriteAsync(context.Incident(), context.Request.Webhook, ct)),
        (context, _) => Task.FromResult(File.Exists(report.MarkdownPath(context.RunId))
            ? StepCheck.Yes($"report at {report.MarkdownPath(context.RunId)}")
            : StepCheck.No("no report written")));

    static string Name(string? node) => string.IsNullOrEmpty(node) ? "none" : node;
}
