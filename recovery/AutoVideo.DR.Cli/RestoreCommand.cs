using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr restore: verify a backup, restore it into a target database, and compare every table
/// with the manifest; or, with --to-time/--to-lsn/--to latest, a point-in-time restore (PointInTimeCli).
/// </summary>
public static class RestoreCommand
{
    static readonly Argument<string> Name = new("name") { Description = "the backup to restore, or 'latest' (default)", DefaultValueFactory = _ => "latest" };
    static readonly Option<string> Target = new("--target") { Description = "where to restore: standby (the local standby node's database, once promoted) or a connection string; a missing database is created. Point in time: standby, primary or a new data directory", DefaultValueFactory = _ => "standby" };
    static readonly Option<bool> Force = new("--force") { Description = "restore into a non-empty target: the backup's schemas are dropped and recreated, and the target's large objects replaced" };

    public static Command Create(CliContext context)
    {
        var command = new Command("restore", "restore a backup into a target database and verify each table's row count and fingerprint against the manifest; or restore to a moment (--to-time, --to-lsn, --to latest)") { Name, Target, Force };
        StoreArguments.AddTo(command);
        PointInTimeCli.AddRestoreOptions(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(Name) is { Implicit: false } name && PointInTimeCli.HasTarget(result))
                result.AddError($"a backup name ('{name.GetValueOrDefault<string>()}') and --to-time/--to-lsn/--to exclude each other; accepted: one of them");
        });
        command.SetAction(async (parse, ct) =>
        {
            if (PointInTimeCli.Target(parse) is { } moment)
                return await PointInTimeCli.RestoreAsync(context, parse, moment, parse.GetValue(Target)!, ct);
            if (parse.GetValue(Name) is var requested and not "latest") BackupName.Validate(requested!);
            var started = DateTimeOffset.UtcNow;
            return await StoreArguments.RunAsync(parse, async store =>
            {
                var connection = DatabaseArgument.Resolve(parse.GetValue(GlobalOptions.WorkDirectory)!, parse.GetValue(Target)!, "--target");
                context.Progress($"verifying {parse.GetValue(Name)} in {store.Location}, then restoring into {DatabaseConnection.Describe(connection)}");
                RestoreResult result;
                using (var progress = new ProgressDisplay(context))
                    result = await new BackupRestore(context.Logger<BackupRestore>()).RestoreAsync(store, parse.GetValue(Name)!, connection, new RestoreOptions(parse.GetValue(Force), progress), ct);
                await BackupMetrics.UpdateAsync(StoreArguments.MetricsPath(parse), new Dictionary<string, double>
                {
                    [BackupMetrics.RestoreSuccess] = result.Passed ? 1 : 0,
                    [BackupMetrics.RestoreDuration] = result.Duration.TotalSeconds,
                    [BackupMetrics.RestoreBackupAge] = result.BackupAge.TotalSeconds,
                }, ct);
                Print(context, result, parse.GetValue(GlobalOptions.Json));
                if (!result.Passed) throw new RecoveryException(result.FailureMessage);
                if (result.NotRecorded is { } why) context.Progress($"warning: {why}; a resumed runbook cannot tell this restore happened");
                return 0;
            }, () => new Dictionary<string, double>
            {
                [BackupMetrics.RestoreSuccess] = 0,
                [BackupMetrics.RestoreDuration] = (DateTimeOffset.UtcNow - started).TotalSeconds,
            });
        });
        return command;
    }

    static void Print(CliContext context, RestoreResult result, bool json)
    {
        if (json)
        {
            JsonOutput.Write(context, new
            {
                result.Name, result.Target, result.Snapshot, BackupAgeSeconds = result.BackupAge.TotalSeconds, DurationSeconds = result.Duration.TotalSeconds,
                result.Passed, Tables = result.Tables.Select(t => new { t.Table, t.ExpectedRows, t.ActualRows, t.ExpectedFingerprint, t.ActualFingerprint, t.Passed }),
            });
            return;
        }
        var table = new TextTable("table", "rows (backup)", "rows (restored)", "fingerprint", "result");
        foreach (var t in result.Tables)
            table.Add(t.Table, t.ExpectedRows.ToString(), t.ActualRows.ToString(), t.ExpectedFingerprint == t.ActualFingerprint ? "same" : "DIFFERENT", t.Passed ? "ok" : "MISMATCH");
        context.Out.Write(table.Render());
        context.Out.WriteLine(result.Passed
            ? $"restored {result.Name} into {result.Target}: {result.Tables.Count} tables verified; snapshot {result.Snapshot.Time:yyyy-MM-dd HH:mm:ss}Z (LSN {result.Snapshot.Lsn}), {result.BackupAge.TotalSeconds:0} s old; {result.Duration.TotalSeconds:0.0} s"
            : $"restore of {result.Name} into {result.Target} rolled back: verification failed");
    }
}
