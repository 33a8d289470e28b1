using System.CommandLine;
using System.CommandLine.Parsing;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Stacks;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Cli;

/// <summary>
/// Point-in-time recovery on the command line: the pgBackRest parts of <c>local up</c>, <c>backup
/// --physical</c>, <c>backups list|verify</c> and <c>restore --to-time|--to-lsn|--to latest</c>
/// (locally, or on the stacks with --stack). Kept here so the commands it extends stay readable.
/// </summary>
public static class PointInTimeCli
{
    public static readonly Option<DateTimeOffset?> ToTime = new("--to-time")
    {
        Description = "restore to this moment (ISO 8601 with its zone, e.g. 2026-11-25T09:30:00Z): every commit up to it, none after",
        CustomParser = result => Parse(result, text => RecoveryTarget.ParseTime(text)),
    };
    public static readonly Option<string?> ToLsn = new("--to-lsn")
    {
        Description = "restore to this WAL position (e.g. 0/3000060)",
        CustomParser = result => Parse(result, text => Lsn.TryParse(text, out _) ? text
            : throw new RecoveryException($"--to-lsn '{text}' is not an LSN; accepted: two hexadecimal numbers as PostgreSQL prints them, e.g. 0/3000060")),
    };
    public static readonly Option<string?> To = new("--to")
    {
        Description = "latest: restore everything the archive holds",
        CustomParser = result => Parse(result, text => text.Trim().ToLowerInvariant() == "latest" ? "latest" : throw new RecoveryException($"--to '{text}' is not understood; accepted: latest (or --to-time T, --to-lsn L)")),
    };
    public static readonly Option<int?> Repository = new("--repo") { Description = "restore from this pgBackRest repository (1 local, 2 off-site; default: the first whose window holds the target)" };
    public static readonly Option<int?> Port = new("--port") { Description = "with --target <directory>: the port the restored server listens on (default: a free one)" };
    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "show the window, the backup and what would change; change nothing" };
    public static readonly Option<string?> Stack = new("--stack") { Description = "restore this Pulumi stack's database (e.g. dr) from the automated backups replicated into its region, instead of the local environment" };
    public static readonly Option<string> PeerStack = new("--peer-stack") { Description = "with --stack: the other stack, fenced by config (default: prod)", DefaultValueFactory = _ => "prod" };
    public static readonly Option<string?> RestoreSource = new("--restore-source") { Description = "with --stack: the ARN of the replicated automated backups (default: the peer stack's databaseReplicatedBackupsArn output)" };
    public static readonly Option<bool> Physical = new("--physical") { Description = "a physical backup with pgBackRest into the environment's repositories (full once a day, differential otherwise; see --type)" };
    public static readonly Option<PhysicalBackupType?> Type = new("--type")
    {
        Description = "with --physical: full, diff or incr (default: as the schedule says)",
        CustomParser = result => Parse<PhysicalBackupType?>(result, text => Enum.TryParse<PhysicalBackupType>(text, ignoreCase: true, out var type)
            ? type : throw new RecoveryException($"--type '{text}' is not a backup type; accepted: full, diff, incr")),
    };

    static T? Parse<T>(ArgumentResult result, Func<string, T> parse)
    {
        if (result.Tokens.Count != 1) return default;
        try { return parse(result.Tokens[0].Value); }
        catch (RecoveryException e)
        {
            result.AddError(e.Message);
            return default;
        }
    }

    public static void AddRestoreOptions(Command command)
    {
        foreach (var option in new Option[] { ToTime, ToLsn, To, Repository, Port, DryRun, Stack, PeerStack, RestoreSource }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            var given = new Option[] { ToTime, ToLsn, To }.Where(o => result.GetResult(o) is not null).Select(o => o.Name).ToList();
            if (given.Count > 1) result.AddError($"{string.Join(", ", given)} exclude each other; accepted: one of --to-time, --to-lsn, --to latest");
            var pitrOnly = new Option[] { Repository, Port, DryRun, Stack, RestoreSource }.Where(o => result.GetResult(o) is not null).Select(o => o.Name).ToList();
            if (given.Count == 0 && pitrOnly.Count > 0) result.AddError($"{string.Join(", ", pitrOnly)} only apply to a point-in-time restore; accepted with --to-time T, --to-lsn L or --to latest");
        });
    }

    public static bool HasTarget(CommandResult result) => new Option[] { ToTime, ToLsn, To }.Any(o => result.GetResult(o) is not null);

    /// <summary>The target of <c>restore</c>, or null for a restore of a logical backup.</summary>
    public static RecoveryTarget? Target(ParseResult parse) =>
        parse.GetValue(ToTime) is { } time ? new RecoveryTarget.Time(time)
        : parse.GetValue(ToLsn) is { } lsn ? new RecoveryTarget.Lsn(Lsn.Parse(lsn))
        : parse.GetValue(To) is not null ? new RecoveryTarget.Latest()
        : null;

    // ---- local up ----

    public static void DescribeSetup(CliContext context, LocalEnvironmentState state)
    {
        if (PgBackRestSetup.TryLoad(state.ArchiveDirectory) is not { } setup) return;
        context.Progress($"WAL archived by pgBackRest (stanza {setup.Stanza}, asynchronous) into {string.Join(" and ", setup.Repositories.Select(r => $"repo{r.Number} {r.Describe()}"))}, {PgBackRestSetup.CipherType}; first full backup taken");
        if (setup.Passphrase == PassphraseSource.Generated)
            context.Progress($"the repositories' cipher passphrase was generated and is kept only in {setup.ConfigFile} (mode 600): copy it to your secret store, nothing in the repositories can be read without it");
    }

    // ---- backup --physical ----

    public static async Task<int> BackupAsync(CliContext context, ParseResult parse, CancellationToken ct)
    {
        var pitr = new LocalPointInTime(parse.GetValue(GlobalOptions.WorkDirectory)!, context.Loggers);
        context.Progress($"physical backup of the primary into {string.Join(", ", pitr.Setup.Repositories.Select(r => $"repo{r.Number} ({r.Describe()})"))}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var backups = await pitr.BackupAsync(parse.GetValue(Type), ct);
        if (parse.GetValue(GlobalOptions.Json))
            JsonOutput.Write(context, backups.Select(b => new { b.Label, b.Type, b.Repository, b.Started, b.Stopped, b.StartLsn, b.StopLsn, b.DatabaseSize, b.RepositorySize, DurationSeconds = clock.Elapsed.TotalSeconds }));
        else
            foreach (var b in backups)
                context.Out.WriteLine($"{b.Label}: {b.Type.ToString().ToLowerInvariant()} backup in repo{b.Repository}, {ProgressDisplay.Size(b.DatabaseSize)} of data stored as {ProgressDisplay.Size(b.RepositorySize)}; consistent from {RecoverableWindow.Moment(RecoverableWindow.ConsistentFrom(b))} (LSN {b.StopLsn})");
        return 0;
    }

    // ---- backups list / verify ----

    /// <summary>The environment's point-in-time side when <paramref name="store"/> holds one of its repositories, else null.</summary>
    public static (LocalPointInTime Pitr, IReadOnlyList<int> Repositories)? InStore(ParseResult parse, IBackupStore store, CliContext context)
    {
        var workDirectory = Path.GetFullPath(parse.GetValue(GlobalOptions.WorkDirectory)!);
        if (LocalEnvironmentState.TryLoad(workDirectory) is not { } state || PgBackRestSetup.TryLoad(state.ArchiveDirectory) is not { } setup) return null;
        var repositories = setup.Repositories.Where(r => Same(r.Location, store.Location)).Select(r => r.Number).ToList();
        return repositories.Count == 0 ? null : (new LocalPointInTime(workDirectory, context.Loggers), repositories);
    }

    static bool Same(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.Ordinal);

    public sealed record PhysicalListing(IReadOnlyList<PhysicalBackup> Backups, IReadOnlyList<RecoverableWindow> Windows)
    {
        /// <summary>The stretch a backup can be restored within: from its consistency to the end of the WAL that follows it.</summary>
        public (DateTimeOffset From, DateTimeOffset? To) Range(PhysicalBackup backup) =>
            (RecoverableWindow.ConsistentFrom(backup),
             Windows.FirstOrDefault(w => w.Repository == backup.Repository)?.Intervals.FirstOrDefault(i => i.Backups.Any(b => b.Label == backup.Label))?.Latest);

        public IEnumerable<object> JsonRows() => Backups.Select(b => (object)new
        {
            Kind = "physical", Name = b.Label, b.Type, b.Repository, Time = b.Stopped, b.Started, Size = b.RepositorySize, b.DatabaseSize, b.StartLsn, b.StopLsn,
            RecoverableFrom = Range(b).From, RecoverableTo = Range(b).To,
        });

        public void Print(CliContext context)
        {
            context.Out.WriteLine();
            context.Out.WriteLine("physical backups (pgBackRest):");
            var table = new TextTable("label", "type", "repo", "stopped (UTC)", "size", "recoverable from (UTC)", "recoverable to (UTC)");
            foreach (var b in Backups.OrderByDescending(b => b.Stopped))
            {
                var (from, to) = Range(b);
                table.Add(b.Label, b.Type.ToString().ToLowerInvariant(), b.Repository.ToString(), b.Stopped.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), ProgressDisplay.Size(b.RepositorySize),
                    from.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), to?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff") ?? "(WAL missing)");
            }
            context.Out.Write(table.Render());
            foreach (var window in Windows) context.Out.WriteLine($"recoverable: {window.Describe()}");
        }
    }

    public static async Task<PhysicalListing?> ListAsync(ParseResult parse, IBackupStore store, CliContext context, CancellationToken ct)
    {
        if (InStore(parse, store, context) is not { } found) return null;
        var windows = (await found.Pitr.WindowsAsync(ct)).Where(w => found.Repositories.Contains(w.Repository)).ToList();
        var info = await found.Pitr.InfoAsync(ct);
        return new PhysicalListing(info.Backups.Where(b => found.Repositories.Contains(b.Repository)).ToList(), windows);
    }

    /// <summary>pgBackRest's verify of the repositories in <paramref name="store"/>; null when it holds none.</summary>
    public static async Task<IReadOnlyList<RepositoryVerification>?> VerifyAsync(ParseResult parse, IBackupStore store, CliContext context, CancellationToken ct)
    {
        if (InStore(parse, store, context) is not { } found) return null;
        context.Progress($"pgbackrest verify of repo{string.Join(", repo", found.Repositories)}");
        return (await found.Pitr.VerifyAsync(ct)).Where(v => found.Repositories.Contains(v.Repository)).ToList();
    }

    /// <summary>verify's result when the store holds repositories: the logical report (if any) and pgBackRest's, failing on either.</summary>
    public static int Report(CliContext context, ParseResult parse, IReadOnlyList<RepositoryVerification> physical, Recovery.Backups.VerificationReport? report)
    {
        if (parse.GetValue(GlobalOptions.Json))
            JsonOutput.Write(context, new
            {
                report?.Name, Passed = (report?.Passed ?? true) && physical.All(v => v.Passed), report?.Problem, report?.Parts,
                Physical = physical.Select(v => new { v.Repository, v.Location, v.Passed, v.Problems }),
            });
        if (report is { Passed: false }) throw new RecoveryException(report.Problem!);
        if (physical.FirstOrDefault(v => !v.Passed) is { } damaged) throw new RecoveryException(Describe(damaged));
        if (!parse.GetValue(GlobalOptions.Json))
        {
            if (report is not null) context.Out.WriteLine(BackupsCommands.Verified(report));
            foreach (var v in physical) context.Out.WriteLine(Describe(v));
        }
        return 0;
    }

    public static string Describe(RepositoryVerification v) =>
        v.Passed ? $"repo{v.Repository} ({v.Location}): pgbackrest verify found every backup file and WAL segment intact"
                 : $"repo{v.Repository} ({v.Location}): pgbackrest verify found damage: {string.Join("; ", v.Problems)}";

    // ---- restore --to-time | --to-lsn | --to latest ----

    public static async Task<int> RestoreAsync(CliContext context, ParseResult parse, RecoveryTarget target, string where, CancellationToken ct)
    {
        if (parse.GetValue(Stack) is { } stack) return await RestoreStackAsync(context, parse, stack, target, ct);
        var json = parse.GetValue(GlobalOptions.Json);
        var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
        var state = LocalEnvironmentState.Load(workDirectory);
        var pitr = new LocalPointInTime(workDirectory, context.Loggers);
        var intoDirectory = where.Contains('/');
        if (where.Contains('=')) throw new RecoveryException($"--target '{DescribeTarget(where)}' is a connection string; a point-in-time restore goes into a data directory: --target standby, primary or a new directory");
        LocalNodeState? node = null;
        if (!intoDirectory)
        {
            var role = NodeRoles.TryParse(where) is { } r and not NodeRole.Fenced ? r
                : throw new RecoveryException($"--target '{where}' is not understood; accepted with a point-in-time restore: standby, primary or a new data directory (a path)");
            node = state.Nodes.FirstOrDefault(n => n.Role == role)
                ?? throw new RecoveryException($"the environment has no {role.Name()} now ({string.Join(", ", state.Nodes.Select(n => $"{n.Name} {n.Role.Name()}"))}); restore into {(role == NodeRole.Standby ? "the primary with --target primary" : "the standby with --target standby")}, or beside the environment with --target <new directory>");
        }
        if (parse.GetValue(DryRun))
        {
            var plan = await pitr.PlanAsync(target, parse.GetValue(Repository), ct);
            var effect = intoDirectory ? $"into the new data directory {Path.GetFullPath(where)}, started on {(parse.GetValue(Port)?.ToString() ?? "a free port")}, not archiving; the environment is not touched"
                : node!.Role == NodeRole.Standby
                    ? $"into a copy of {node.Name}; once the copy accepts writes the primary {state.NodeWithRole(NodeRole.Primary).Name} is fenced and the copy takes {node.Name}'s place as primary"
                    : $"into a copy of {node.Name}; once the copy accepts writes it takes {node.Name}'s place{(state.Nodes.Any(n => n.Role == NodeRole.Standby) ? " and the standby is rebuilt from it" : "")}";
            var lossBound = plan.Interval.LastCommit ?? plan.Interval.Latest;
            if (json)
                JsonOutput.Write(context, new
                {
                    DryRun = true, Target = target.Describe(), plan.Repository, Backup = plan.Backup.Label, BackupType = plan.Backup.Type, RecoverableFrom = plan.Interval.Earliest,
                    RecoverableTo = plan.Interval.Latest, Effect = effect, Windows = (await pitr.WindowsAsync(ct)).Select(w => w.Describe()),
                });
            else
            {
                context.Out.WriteLine($"would {plan.Describe()}");
                context.Out.WriteLine($"  {effect}");
                context.Out.WriteLine($"  the archive's last commit is {RecoverableWindow.Moment(lossBound)}: a restore from it loses every commit after that (at most {(DateTimeOffset.UtcNow - lossBound).TotalSeconds:0} s before now, an upper bound)");
            }
            return 0;
        }
        if (intoDirectory)
        {
            var result = await pitr.RestoreIntoDirectoryAsync(where, parse.GetValue(Port), target, parse.GetValue(Repository), ct);
            Print(context, json, result, $"into {result.DataDirectory}, a server of its own on port {result.Port} (not archiving; stop it with pg_ctl -D {result.DataDirectory} stop)", null, null, null);
        }
        else
        {
            context.Progress($"restoring {node!.Name} to {target.Describe()}: restore and recovery run on a copy first; the environment changes only once the copy accepts writes");
            var result = await pitr.RestoreNodeAsync(node.Name, target, parse.GetValue(Repository), ct);
            Print(context, json, result.Restore, $"into {result.Node}, now the primary on port {result.Restore.Port}", result.Fenced, result.Rebuilt, result.SwitchDuration);
        }
        return 0;
    }

    static string DescribeTarget(string target) => target.Contains('=') ? Recovery.Postgres.DatabaseConnection.Describe(target) : target;

    static void Print(CliContext context, bool json, PointInTimeRestoreResult r, string where, string? fenced, string? rebuilt, TimeSpan? switchDuration)
    {
        var total = r.TotalDuration + (switchDuration ?? TimeSpan.Zero);
        if (json)
        {
            JsonOutput.Write(context, new
            {
                Target = r.Plan.Target.Describe(), r.Plan.Repository, Backup = r.Plan.Backup.Label, r.DataDirectory, r.Port, r.LastCommit, r.Lsn, r.Timeline,
                RestoreSeconds = r.RestoreDuration.TotalSeconds, RecoverySeconds = r.RecoveryDuration.TotalSeconds, SwitchSeconds = switchDuration?.TotalSeconds,
                TotalSeconds = total.TotalSeconds, Fenced = fenced, Rebuilt = rebuilt,
            });
            return;
        }
        context.Out.WriteLine($"restored {r.Plan.Backup.Label} from repo{r.Plan.Repository} {where}: replayed to {r.Plan.Target.Describe()}, last commit applied " +
            $"{(r.LastCommit is { } c ? RecoverableWindow.Moment(c) : "none")}, now on timeline {r.Timeline} at LSN {r.Lsn}");
        context.Out.WriteLine($"  {total.TotalSeconds:0.0} s: restore {r.RestoreDuration.TotalSeconds:0.0} s, recovery {r.RecoveryDuration.TotalSeconds:0.0} s" +
            (switchDuration is { } s ? $", switch {s.TotalSeconds:0.0} s" : "") + (fenced is null ? "" : $"; {fenced} fenced (it carries the damage)") + (rebuilt is null ? "" : $"; {rebuilt} rebuilt as its standby"));
    }

    static async Task<int> RestoreStackAsync(CliContext context, ParseResult parse, string stack, RecoveryTarget target, CancellationToken ct)
    {
        var peer = parse.GetValue(PeerStack)!;
        if (peer == stack) throw new RecoveryException($"--stack and --peer-stack are both '{stack}'; accepted: the stack to restore and its peer, e.g. --stack dr --peer-stack prod");
        var restore = new StackPointInTimeRestore(context.Stacks(), stack, peer, context.Progress);
        var plan = await restore.PlanAsync(target, parse.GetValue(RestoreSource), ct);
        if (parse.GetValue(DryRun))
        {
            if (parse.GetValue(GlobalOptions.Json))
                JsonOutput.Write(context, new { DryRun = true, plan.Stack, plan.PeerStack, plan.Time, plan.Source, Changes = plan.Changes.Select(c => new { c.Stack, c.Key, c.Value }) });
            else context.Out.WriteLine($"would {plan.Describe()}");
            return 0;
        }
        var detail = await restore.RestoreAsync(plan, ct);
        if (parse.GetValue(GlobalOptions.Json)) JsonOutput.Write(context, new { plan.Stack, plan.Time, plan.Source, Detail = detail });
        else context.Out.WriteLine(detail);
        return 0;
    }
}
