using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr restore: verify a backup, restore it into a target database, and compare every table with the manifest.</summary>
public static class RestoreCommand
{
    static readonly Argument<string> Name = new("name") { Description = "the backup to restore, or 'latest' (default)", DefaultValueFactory = _ => "latest" };
    static readonly Option<string> Target = new("--target") { Description = "where to restore: standby (the local standby node's database, once promoted) or a connection string; a missing database is created", DefaultValueFactory = _ => "standby" };
    static readonly Option<bool> Force = new("--force") { Description = "restore into a non-empty target: the backup's schemas are replaced (in one transaction, once every table verified), and the target's large objects too" };
    static readonly Option<int> Parallel = new("--parallel") { Description = "connections loading, verifying and indexing at once (default: one per processor, at least 2)" };

    public static Command Create(CliContext context)
    {
        var command = new Command("restore", "restore a backup into a target database and verify each table's row count and fingerprint against the manifest") { Name, Target, Force, Parallel };
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(Name) is var requested and not "latest") BackupName.Validate(requested!);
            var started = DateTimeOffset.UtcNow;
            return await StoreArguments.RunAsync(parse, async store =>
            {
                var connection = DatabaseArgument.Resolve(parse.GetValue(GlobalOptions.WorkDirectory)!, parse.GetValue(Target)!, "--target");
                context.Progress($"verifying {parse.GetValue(Name)} in {store.Location}, then restoring into {DatabaseConnection.Describe(connection)}");
                var result = await ProgressDisplay.RunAsync(context, progress =>
                    new BackupRestore(context.Logger<BackupRestore>()).RestoreAsync(store, parse.GetValue(Name)!, connection, new RestoreOptions(parse.GetValue(Force), progress, parse.GetValue(Parallel)), ct));
                var forecast = await RestoreForecast.ForNewestAsync(store, await new BackupCatalog(store).ListAsync(ct), ct);
                await BackupMetrics.UpdateAsync(StoreArguments.MetricsPath(parse), new Dictionary<string, double>
                {
                    [BackupMetrics.RestoreSuccess] = result.Passed ? 1 : 0,
                    [BackupMetrics.RestoreDuration] = result.Duration.TotalSeconds,
                    [BackupMetrics.RestoreBackupAge] = result.BackupAge.TotalSeconds,
                    [BackupMetrics.RestoreForecast] = forecast?.Expected?.TotalSeconds ?? double.NaN,
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
                result.Passed, Verified = result.Tables.Count(t => t.Passed), result.Skipped, Compression = result.Compression.ToString(),
                Phases = result.Phases.Select(p => new { Phase = p.Phase.ToString().ToLowerInvariant(), p.Seconds }),
                Tables = result.Tables.Select(t => new { t.Table, t.ExpectedRows, t.ActualRows, t.ExpectedFingerprint, t.ActualFingerprint, t.Passed }),
            });
            return;
        }
        var table = new TextTable("table", "rows (backup)", "rows (restored)", "fingerprint", "result");
        foreach (var t in result.Tables)
            table.Add(t.Table, t.ExpectedRows.ToString(), t.ActualRows.ToString(), t.ExpectedFingerprint == t.ActualFingerprint ? "same" : "DIFFERENT", t.Passed ? "ok" : "MISMATCH");
        context.Out.Write(table.Render());
        context.Out.WriteLine(result.Passed
            ? $"restored {result.Name} into {result.Target}: {result.VerifiedSummary}; snapshot {result.Snapshot.Time:yyyy-MM-dd HH:mm:ss}Z (LSN {result.Snapshot.Lsn}), {result.BackupAge.TotalSeconds:0} s old; {result.Duration.TotalSeconds:0.0} s ({string.Join(", ", result.Phases.Select(p => $"{p.Phase.ToString().ToLowerInvariant()} {p.Seconds:0.0} s"))})"
            : $"restore of {result.Name} into {result.Target} rolled back: verification failed");
    }
}
