using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr backups list|latest|verify|prune: the catalog of a store.</summary>
public static class BackupsCommands
{
    static readonly RetentionPolicy Defaults = RetentionPolicy.Default;
    static readonly Argument<string> VerifyName = new("name") { Description = "the backup to verify (default: latest)", DefaultValueFactory = _ => "latest" };
    static readonly Option<bool> DryRun = new("--dry-run") { Description = "show what would be deleted, delete nothing" };
    const int MaxKeep = 100_000;
    static readonly Option<int> KeepHourly = NumberOptions.Whole("--keep-hourly", $"keep the newest backup of each of the last N hours (default {Defaults.KeepHourly})", 0, MaxKeep, Defaults.KeepHourly);
    static readonly Option<int> KeepDaily = NumberOptions.Whole("--keep-daily", $"keep the newest backup of each of the last N days (default {Defaults.KeepDaily})", 0, MaxKeep, Defaults.KeepDaily);
    static readonly Option<int> KeepWeekly = NumberOptions.Whole("--keep-weekly", $"keep the newest backup of each of the last N weeks (default {Defaults.KeepWeekly})", 0, MaxKeep, Defaults.KeepWeekly);

    public static Command Create(CliContext context)
    {
        var backups = new Command("backups", "list, verify and prune the backups in a store");
        backups.Subcommands.Add(List(context));
        backups.Subcommands.Add(Latest(context));
        backups.Subcommands.Add(Verify(context));
        backups.Subcommands.Add(Prune(context));
        return backups;
    }

    static Command List(CliContext context)
    {
        var command = new Command("list", "list the complete backups, newest first, with size, age, tables and whether verified (and folders whose backup name is malformed)");
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var now = DateTimeOffset.UtcNow;
            var scan = await WithCatalog(parse, catalog => catalog.ScanAsync(ct));
            await StoreArguments.RecordMetricsAsync(parse, BackupMetrics.ForCatalog(scan.Backups, now), ct);
            // The environment's pgBackRest repositories in this store, listed beside the logical backups.
            var physical = await StoreArguments.RunAsync(parse, store => PointInTimeCli.ListAsync(parse, store, context, ct));
            if (parse.GetValue(GlobalOptions.Json))
            {
                JsonOutput.Write(context, scan.Backups.Select(e => (object)new
                {
                    e.Name, Time = (DateTimeOffset?)e.Time, AgeSeconds = (long?)e.Age(now).TotalSeconds, Size = e.StoredSize, Tables = e.Manifest?.Tables.Count, Parts = e.Manifest?.SystemParts,
                    Verified = e.Verification?.Passed, e.Verification?.VerifiedAt, Problem = e.Damage,
                }).Concat(scan.Malformed.Select(m => (object)new
                {
                    m.Name, Time = (DateTimeOffset?)null, AgeSeconds = (long?)null, Size = m.Size, Tables = (int?)null, Parts = (IReadOnlyList<Recovery.Backups.SystemPart>?)null,
                    Verified = (bool?)null, VerifiedAt = (DateTimeOffset?)null, Problem = (string?)$"malformed name: {m.Problem}",
                })).Concat(physical?.JsonRows() ?? []));
                return 0;
            }
            var table = new TextTable("name", "snapshot (UTC)", "age", "size", "tables", "parts", "verified");
            foreach (var e in scan.Backups)
                table.Add(e.Name, e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), Age(e.Age(now)), ProgressDisplay.Size(e.StoredSize),
                    e.Manifest?.Tables.Count.ToString() ?? "?",
                    e.Manifest is { } m ? string.Join("+", m.SystemParts.Select(p => p.Name())) : "?",
                    e.Problem is not null ? "DAMAGED" : e.Verification is null ? "no" : e.Verification.Passed ? $"yes ({e.Verification.VerifiedAt.UtcDateTime:yyyy-MM-dd HH:mm})" : "FAILED");
            foreach (var m in scan.Malformed)
                table.Add(m.Name, "?", "?", ProgressDisplay.Size(m.Size), "?", "MALFORMED NAME");
            context.Out.Write(table.Render());
            physical?.Print(context);
            foreach (var m in scan.Malformed)
                context.Progress($"warning: {m.Name} in {parse.GetValue(StoreArguments.Store) ?? "the store"} has a malformed name ({m.Problem}); it is not a usable backup");
            return 0;
        });
        return command;
    }

    static Command Latest(CliContext context)
    {
        var command = new Command("latest", "print the name of the newest complete backup");
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var latest = await WithCatalog(parse, catalog => catalog.LatestAsync(ct));
            if (parse.GetValue(GlobalOptions.Json))
                JsonOutput.Write(context, new { latest.Name, latest.Time, Size = latest.StoredSize, latest.Manifest!.Snapshot });
            else
                context.Out.WriteLine(latest.Name);
            return 0;
        });
        return command;
    }

    static Command Verify(CliContext context)
    {
        var command = new Command("verify", "re-read every part of a backup and check its size and SHA-256 against the manifest; in the environment's store, pgbackrest verify of its repositories too") { VerifyName };
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            // The environment's pgBackRest repositories in this store: every backup file and WAL segment re-read.
            var physical = await StoreArguments.RunAsync(parse, store => PointInTimeCli.VerifyAsync(parse, store, context, ct));
            if (physical is not null && parse.GetValue(VerifyName) == "latest" && !(await WithCatalog(parse, catalog => catalog.ListAsync(ct))).Any(e => e.Manifest is not null))
                return PointInTimeCli.Report(context, parse, physical, null);
            var report = await StoreArguments.RunAsync(parse, async store =>
            {
                var catalog = new BackupCatalog(store);
                var manifest = await catalog.ResolveAsync(parse.GetValue(VerifyName)!, ct);
                var result = await ProgressDisplay.RunAsync(context, progress => BackupVerifier.VerifyAsync(store, manifest, progress, ct));
                await catalog.RecordVerificationAsync(manifest.Name, new VerificationRecord(DateTimeOffset.UtcNow, result.Passed, result.Problem), ct);
                return result;
            }, () => new Dictionary<string, double> { [BackupMetrics.VerifySuccess] = 0 });
            await StoreArguments.RecordMetricsAsync(parse, new Dictionary<string, double>
            {
                [BackupMetrics.VerifySuccess] = report.Passed ? 1 : 0,
                [BackupMetrics.VerifyDuration] = report.Duration.TotalSeconds,
            }, ct);
            if (physical is not null) return PointInTimeCli.Report(context, parse, physical, report);
            if (parse.GetValue(GlobalOptions.Json))
                JsonOutput.Write(context, new { report.Name, report.Passed, report.Problem, report.Parts });
            if (!report.Passed) throw new RecoveryException(report.Problem!);
            if (!parse.GetValue(GlobalOptions.Json))
                context.Out.WriteLine(Verified(report));
            return 0;
        });
        return command;
    }

    public static string Verified(VerificationReport report) =>
        $"{report.Name}: {report.Parts.Count} parts, {ProgressDisplay.Size(report.Parts.Sum(p => p.ActualSize))}, every size and SHA-256 matches the manifest";

    static Command Prune(CliContext context)
    {
        var command = new Command("prune", "delete the backups the hourly/daily/weekly retention policy no longer keeps (unless Object Lock still retains them), promote the ones it keeps longer, and delete interrupted backups older than a day") { DryRun, KeepHourly, KeepDaily, KeepWeekly };
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var policy = new RetentionPolicy(parse.GetValue(KeepHourly), parse.GetValue(KeepDaily), parse.GetValue(KeepWeekly)).Validated();
            var apply = !parse.GetValue(DryRun);
            var rows = await WithCatalog(parse, async catalog =>
            {
                var outcomes = await catalog.PruneAsync(policy, apply, DateTimeOffset.UtcNow, ct);
                if (apply) await StoreArguments.RecordMetricsAsync(parse, BackupMetrics.ForCatalog(await catalog.ListAsync(ct), DateTimeOffset.UtcNow), ct);
                return outcomes;
            });
            if (parse.GetValue(GlobalOptions.Json))
            {
                JsonOutput.Write(context, new { DryRun = !apply, Backups = rows.Select(r => new { r.Name, r.Time, Action = r.Action.ToString().ToLowerInvariant(), r.Reason }) });
                return 0;
            }
            var table = new TextTable("name", "snapshot (UTC)", "action", "reason");
            foreach (var r in rows)
                table.Add(r.Name, r.Time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") ?? "?", r.Action switch
                {
                    PruneAction.Keep => "keep",
                    PruneAction.Delete => apply ? "deleted" : "would delete",
                    PruneAction.Locked => "keep (locked)",
                    PruneAction.Damaged => "keep (DAMAGED)",
                    PruneAction.Malformed => "skip (MALFORMED)",
                    _ => r.Action.ToString(),
                }, r.Reason);
            context.Out.Write(table.Render());
            var deleted = rows.Count(r => r.Action == PruneAction.Delete);
            var summary = $"{deleted} {(apply ? "deleted" : "would be deleted (dry run)")}, {rows.Count(r => r.Action == PruneAction.Keep)} kept";
            foreach (var (action, words) in new[] { (PruneAction.Locked, "kept by Object Lock"), (PruneAction.Damaged, "damaged"), (PruneAction.Malformed, "malformed") })
                if (rows.Count(r => r.Action == action) is > 0 and var n) summary += $", {n} {words}";
            context.Out.WriteLine(summary);
            return 0;
        });
        return command;
    }

    static Task<T> WithCatalog<T>(ParseResult parse, Func<BackupCatalog, Task<T>> use) =>
        StoreArguments.RunAsync(parse, store => use(new BackupCatalog(store)));

    static string Age(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{(int)age.TotalDays}d {age.Hours}h" : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h {age.Minutes}m" : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes}m {age.Seconds}s" : $"{(int)age.TotalSeconds}s";
}
