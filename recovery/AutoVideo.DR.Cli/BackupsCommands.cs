using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr backups list|latest|verify|prune: the catalog of a store.</summary>
public static class BackupsCommands
{
    static readonly RetentionPolicy Defaults = new();
    static readonly Argument<string> VerifyName = new("name") { Description = "the backup to verify (default: latest)", DefaultValueFactory = _ => "latest" };
    static readonly Option<bool> DryRun = new("--dry-run") { Description = "show what would be deleted, delete nothing" };
    static readonly Option<int> KeepHourly = new("--keep-hourly") { Description = $"keep the newest backup of each of the last N hours (default {Defaults.KeepHourly})", DefaultValueFactory = _ => Defaults.KeepHourly };
    static readonly Option<int> KeepDaily = new("--keep-daily") { Description = $"keep the newest backup of each of the last N days (default {Defaults.KeepDaily})", DefaultValueFactory = _ => Defaults.KeepDaily };
    static readonly Option<int> KeepWeekly = new("--keep-weekly") { Description = $"keep the newest backup of each of the last N weeks (default {Defaults.KeepWeekly})", DefaultValueFactory = _ => Defaults.KeepWeekly };

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
        var command = new Command("list", "list the complete backups, newest first, with size, age, tables and whether verified");
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var now = DateTimeOffset.UtcNow;
            var entries = await WithCatalog(parse, catalog => catalog.ListAsync(ct));
            await BackupMetrics.UpdateAsync(StoreArguments.MetricsPath(parse), BackupMetrics.ForCatalog(entries, now), ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                JsonOutput.Write(context, entries.Select(e => new
                {
                    e.Name, e.Time, AgeSeconds = (long)e.Age(now).TotalSeconds, Size = e.StoredSize, Tables = e.Manifest?.Tables.Count,
                    Verified = e.Verification?.Passed, e.Verification?.VerifiedAt, e.Problem,
                }));
                return 0;
            }
            var table = new TextTable("name", "snapshot (UTC)", "age", "size", "tables", "verified");
            foreach (var e in entries)
                table.Add(e.Name, e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), Age(e.Age(now)), ProgressDisplay.Size(e.StoredSize),
                    e.Manifest?.Tables.Count.ToString() ?? "?",
                    e.Problem is not null ? "DAMAGED" : e.Verification is null ? "no" : e.Verification.Passed ? $"yes ({e.Verification.VerifiedAt.UtcDateTime:yyyy-MM-dd HH:mm})" : "FAILED");
            context.Out.Write(table.Render());
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
        var command = new Command("verify", "re-read every part of a backup and check its size and SHA-256 against the manifest") { VerifyName };
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var report = await StoreArguments.RunAsync(parse, async store =>
            {
                var catalog = new BackupCatalog(store);
                var manifest = await catalog.ResolveAsync(parse.GetValue(VerifyName)!, ct);
                var result = await ProgressDisplay.RunAsync(context, progress => BackupVerifier.VerifyAsync(store, manifest, progress, ct));
                await catalog.RecordVerificationAsync(manifest.Name, new VerificationRecord(DateTimeOffset.UtcNow, result.Passed, result.Problem), ct);
                return result;
            }, () => new Dictionary<string, double> { [BackupMetrics.VerifySuccess] = 0 });
            await BackupMetrics.UpdateAsync(StoreArguments.MetricsPath(parse), new Dictionary<string, double>
            {
                [BackupMetrics.VerifySuccess] = report.Passed ? 1 : 0,
                [BackupMetrics.VerifyDuration] = report.Duration.TotalSeconds,
            }, ct);
            if (parse.GetValue(GlobalOptions.Json))
                JsonOutput.Write(context, new { report.Name, report.Passed, report.Problem, report.Parts });
            if (!report.Passed) throw new RecoveryException(report.Problem!);
            if (!parse.GetValue(GlobalOptions.Json))
                context.Out.WriteLine($"{report.Name}: {report.Parts.Count} parts, {ProgressDisplay.Size(report.Parts.Sum(p => p.ActualSize))}, every size and SHA-256 matches the manifest");
            return 0;
        });
        return command;
    }

    static Command Prune(CliContext context)
    {
        var command = new Command("prune", "delete the backups the hourly/daily/weekly retention policy no longer keeps, and interrupted backups older than a day") { DryRun, KeepHourly, KeepDaily, KeepWeekly };
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var policy = new RetentionPolicy(parse.GetValue(KeepHourly), parse.GetValue(KeepDaily), parse.GetValue(KeepWeekly)).Validated();
            var apply = !parse.GetValue(DryRun);
            var rows = await WithCatalog(parse, async catalog =>
            {
                var entries = await catalog.ListAsync(ct);
                var decisions = policy.Decide(entries.Select(e => (e.Name, e.Time)));
                // An interrupted backup is invisible but takes space; after a day it cannot still be running.
                var stale = (await catalog.IncompleteAsync(ct)).Where(i => DateTimeOffset.UtcNow - i.Time > TimeSpan.FromDays(1)).ToList();
                var result = decisions.Select(d => (d.Name, d.Time, Keep: d.Keep, Reason: d.Keep ? string.Join(", ", d.KeptBy) : "outside every tier"))
                    .Concat(stale.Select(s => (s.Name, s.Time, Keep: false, Reason: "incomplete (no manifest), older than a day")))
                    .ToList();
                if (apply)
                    foreach (var row in result.Where(r => !r.Keep)) await catalog.DeleteAsync(row.Name, ct);
                if (apply) await BackupMetrics.UpdateAsync(StoreArguments.MetricsPath(parse), BackupMetrics.ForCatalog(await catalog.ListAsync(ct), DateTimeOffset.UtcNow), ct);
                return result;
            });
            if (parse.GetValue(GlobalOptions.Json))
            {
                JsonOutput.Write(context, new { DryRun = !apply, Backups = rows.Select(r => new { r.Name, r.Time, Action = r.Keep ? "keep" : "delete", r.Reason }) });
                return 0;
            }
            var table = new TextTable("name", "snapshot (UTC)", "action", "reason");
            foreach (var r in rows) table.Add(r.Name, r.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), r.Keep ? "keep" : apply ? "deleted" : "would delete", r.Reason);
            context.Out.Write(table.Render());
            context.Out.WriteLine($"{rows.Count(r => !r.Keep)} {(apply ? "deleted" : "would be deleted (dry run)")}, {rows.Count(r => r.Keep)} kept");
            return 0;
        });
        return command;
    }

    static Task<T> WithCatalog<T>(ParseResult parse, Func<BackupCatalog, Task<T>> use) =>
        StoreArguments.RunAsync(parse, store => use(new BackupCatalog(store)));

    static string Age(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{(int)age.TotalDays}d {age.Hours}h" : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h {age.Minutes}m" : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes}m {age.Seconds}s" : $"{(int)age.TotalSeconds}s";
}
