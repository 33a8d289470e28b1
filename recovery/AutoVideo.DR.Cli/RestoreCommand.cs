using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr restore: verify a backup, restore it into a target database, and compare every table
/// with the manifest; or, with --to-time/--to-lsn/--to latest, a point-in-time restore (PointInTimeCli).
/// </summary>
public static class RestoreCommand
{
    static readonly Argument<string> Name = new("name") { Description = "the backup to restore, or 'latest' (default)", DefaultValueFactory = _ => "latest" };
    static readonly Option<string> Target = DatabaseArgument.Option("--target", "where to restore: standby (the local standby node's database, once promoted) or a connection string without a password (PGPASSWORD or ~/.pgpass supplies it); a missing database is created. Point in time: standby, primary or a new data directory", orDirectory: true);
    static readonly Option<bool> Force = new("--force") { Description = "restore into a non-empty target: the backup's schemas are replaced (in one transaction, once every table verified), and the target's large objects too" };
    static readonly Option<int> Parallel = NumberOptions.Whole("--parallel", "connections loading, verifying and indexing at once (default: one per processor, at least 2)", 1, 64, absent: 0);

    public static Command Create(CliContext context)
    {
        var command = new Command("restore", "restore a backup (every data part it holds: database, Redis, media objects; or --parts, which also names stacks and monitoring) and verify each against the manifest; or restore the database to a moment (--to-time, --to-lsn, --to latest)")
        {
            Name, Target, Force, Parallel, SystemPartArguments.Parts, SystemPartArguments.ObjectRefs, SystemPartArguments.MediaInto, SystemPartArguments.Stacks, SystemPartArguments.PrometheusData,
        };
        StoreArguments.AddTo(command);
        PointInTimeCli.AddRestoreOptions(command);
        SystemPartArguments.ValidateCombinations(command, restore: true);
        command.Subcommands.Add(RestoreObjectsCommand.Create(context));
        command.Validators.Add(result =>
        {
            if (result.GetResult(Name) is { Implicit: false } name && PointInTimeCli.HasTarget(result))
                result.AddError($"a backup name ('{name.GetValueOrDefault<string>()}') and --to-time/--to-lsn/--to exclude each other; accepted: one of them");
            if (result.GetResult(Target)?.GetValueOrDefault<string>() is { } target && DatabaseArgument.IsDirectory(target) && !PointInTimeCli.HasTarget(result))
                result.AddError($"--target '{target}' is a directory, the new data directory of a point-in-time restore; with a backup, accepted: primary, standby or a connection string");
        });
        command.SetAction(async (parse, ct) =>
        {
            if (PointInTimeCli.Target(parse) is { } moment)
                return await PointInTimeCli.RestoreAsync(context, parse, moment, parse.GetValue(Target)!, ct);
            if (parse.GetValue(Name) is var requested and not "latest") BackupName.Validate(requested!);
            var parts = SystemParts.Parse(parse.GetValue(SystemPartArguments.Parts), "--parts");
            var references = SystemPartArguments.References(parse);
            var intoReplicas = SystemPartArguments.IntoReplicas(parse);
            var started = DateTimeOffset.UtcNow;
            return await StoreArguments.RunAsync(parse, async store =>
            {
                // "latest" is resolved once, here: every later step restores that backup by its name, so one
                // finishing meanwhile cannot slip in, and the store's manifests are not all read again.
                var manifest = await new BackupCatalog(store).ResolveAsync(parse.GetValue(Name)!, ct);
                var held = manifest.SystemParts.Where(p => p.RestoredByDefault()).ToList();
                if ((parts ?? held) is not [SystemPart.Database] || references.Count > 0)
                    return await RestoreSystemAsync(context, parse, store, manifest, parts, references, intoReplicas, ct);
                var connection = DatabaseArgument.Resolve(parse.GetValue(GlobalOptions.WorkDirectory)!, parse.GetValue(Target)!, "--target");
                context.Progress($"verifying {manifest.Name} in {store.Location}, then restoring into {DatabaseConnection.Describe(connection)}");
                var result = await ProgressDisplay.RunAsync(context, progress =>
                    new BackupRestore(context.Logger<BackupRestore>()).RestoreAsync(store, manifest.Name, connection, new RestoreOptions(parse.GetValue(Force), progress, parse.GetValue(Parallel)), ct));
                var forecast = await RestoreForecast.ForNewestAsync(store, await new BackupCatalog(store).ScanAsync(ct), ct);
                await StoreArguments.RecordMetricsAsync(parse, new Dictionary<string, double>
                {
                    [BackupMetrics.RestoreSuccess] = result.Passed ? 1 : 0,
                    [BackupMetrics.RestoreDuration] = result.Duration.TotalSeconds,
                    [BackupMetrics.RestoreBackupAge] = result.BackupAge.TotalSeconds,
                    [BackupMetrics.RestoreTimestamp] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
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
                [BackupMetrics.RestoreTimestamp] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            });
        });
        return command;
    }

    /// <summary>A restore of more than the database: every part verified first, then each restored, with its recovery time and data loss.</summary>
    static async Task<int> RestoreSystemAsync(CliContext context, ParseResult parse, Recovery.Stores.IBackupStore store, BackupManifest manifest, IReadOnlyList<SystemPart>? parts,
        IReadOnlyList<ObjectReference> references, bool intoReplicas, CancellationToken ct)
    {
        var whole = System.Diagnostics.Stopwatch.StartNew();
        var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
        // The data parts go through SystemRestore; the stacks' state and the monitoring data only when named, by their own.
        var data = parts?.Where(p => p.RestoredByDefault()).ToList();
        var others = parts?.Where(p => !p.RestoredByDefault()).ToList() ?? [];
        if (others.Except(manifest.SystemParts).ToList() is { Count: > 0 } missing)
            throw new RecoveryException($"backup {manifest.Name} holds no {string.Join(" or ", missing.Select(p => p.Name()))} part; parts it holds: {string.Join(", ", manifest.SystemParts.Select(p => p.Name()))}");
        var withDatabase = data?.Contains(SystemPart.Database) ?? true;
        var target = withDatabase || references.Count > 0 ? DatabaseArgument.Resolve(workDirectory, parse.GetValue(Target)!, "--target") : null;
        context.Progress($"verifying every part of {manifest.Name} in {store.Location}, then restoring {(parts is null ? "every data part it holds" : string.Join(", ", parts.Select(p => p.Name())))}");
        if (others.Count > 0)
        {
            var own = manifest.Parts.Where(p => (others.Contains(SystemPart.Stacks) && p.Kind is BackupPart.StackExport or BackupPart.StackConfig)
                || (others.Contains(SystemPart.Monitoring) && p.Kind == BackupPart.PrometheusSnapshot)).ToList();
            var verified = await BackupVerifier.VerifyAsync(store, manifest with { Parts = own }, null, ct);
            if (!verified.Passed) throw new RecoveryException($"{verified.Problem}; refusing to restore it (nothing was restored)");
        }
        var restored = new List<PartRecovery>();
        string Before(SystemPart part) => $"parts restored before it: {(restored.Count > 0 ? string.Join(", ", restored.Select(r => r.Part.Name())) : "none")}; not restored: {string.Join(", ", (parts ?? []).Where(p => p >= part).Select(p => p.Name()))}";

        // The stacks' state first: it is what running anything else in the cloud needs.
        if (others.Contains(SystemPart.Stacks))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var stacks = await new Recovery.Stacks.StackStateRestore(context.Stacks(), context.Progress)
                .RestoreAsync(store, manifest, SystemPartArguments.StackNames(parse), parse.GetValue(Force), ct);
            restored.Add(new PartRecovery(SystemPart.Stacks, manifest.StartedAt, clock.Elapsed, DateTimeOffset.UtcNow - manifest.StartedAt,
                string.Join("; ", stacks.Select(s => $"{s.Stack}: {(s.Created ? "created, " : "")}{s.Resources} resources imported, {s.ConfigKeys} config values set"
                    + (s.SecretKeysToSet.Count > 0 ? $"; secret config not in the backup, set it again: {string.Join(", ", s.SecretKeysToSet)}" : "")))));
        }
        SystemRestoreResult? result = null;
        if (data is not { Count: 0 })
        {
            try
            {
                result = await ProgressDisplay.RunAsync(context, progress =>
                    new SystemRestore(context.Loggers).RestoreAsync(store, manifest.Name, new SystemRestoreOptions(
                        data, target, parse.GetValue(Force), workDirectory, SystemPartArguments.Media(parse), intoReplicas, references, progress,
                        new Progress<MediaProgress>(p => { if (p.Phase == "restore") context.Progress($"{p.Bucket}: {p.Done}/{p.Total} objects restored"); }), parse.GetValue(Parallel)), ct));
            }
            catch (RecoveryException e) when (restored.Count > 0)
            {
                throw new RecoveryException($"{e.Message} (also restored before: {string.Join(", ", restored.Select(r => r.Part.Name()))})", e);
            }
            restored.AddRange(result.Parts);
        }
        if (others.Contains(SystemPart.Monitoring))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Recovery.Monitoring.MonitoringRestored monitoring;
            try
            {
                monitoring = await Recovery.Monitoring.PrometheusSnapshotRestore.RestoreAsync(store, manifest, workDirectory, parse.GetValue(SystemPartArguments.PrometheusData), ct);
            }
            catch (RecoveryException e)
            {
                throw new RecoveryException($"{e.Message} ({Before(SystemPart.Monitoring)})", e);
            }
            restored.Add(new PartRecovery(SystemPart.Monitoring, monitoring.Until ?? manifest.StartedAt, clock.Elapsed, DateTimeOffset.UtcNow - (monitoring.Until ?? manifest.StartedAt),
                $"{monitoring.Blocks} TSDB blocks ({monitoring.Series} series) into {monitoring.Into}; {monitoring.Check}"));
        }
        // The duration is the whole restore's, stacks and monitoring included, never a default.
        result = (result ?? new SystemRestoreResult(manifest.Name, [], null, null, [], null, whole.Elapsed)) with { Parts = restored, Duration = whole.Elapsed };
        if (result.Database is { } database)
            await StoreArguments.RecordMetricsAsync(parse, new Dictionary<string, double>
            {
                [BackupMetrics.RestoreSuccess] = 1,
                [BackupMetrics.RestoreDuration] = database.Duration.TotalSeconds,
                [BackupMetrics.RestoreBackupAge] = database.BackupAge.TotalSeconds,
                [BackupMetrics.RestoreTimestamp] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            }, ct);
        if (parse.GetValue(GlobalOptions.Json))
        {
            JsonOutput.Write(context, new
            {
                result.Name,
                Parts = result.Parts.Select(p => new { p.Part, p.Point, RecoveryTimeSeconds = p.RecoveryTime.TotalSeconds, DataLossSeconds = p.DataLoss.TotalSeconds, p.Detail }),
                Media = result.Media.Select(m => new { m.Bucket, m.Objects, m.Unchanged, m.Restored, m.Deleted, m.BytesCopied }),
                result.Dangling,
                References = result.References?.Select(r => new { Reference = r.Reference.ToString(), r.Bucket, r.Keys, Dangling = r.Dangling.Count, Examples = r.Dangling.Take(10) }),
                DurationSeconds = result.Duration.TotalSeconds,
            });
        }
        else
        {
            if (result.Database is { } tables) context.Out.Write(TableChecks(tables));
            var table = new TextTable("part", "recovery point (UTC)", "recovery time", "data loss", "detail");
            foreach (var p in result.Parts)
                table.Add(p.Part.Name(), p.Point.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), $"{p.RecoveryTime.TotalSeconds:0.00} s", $"{p.DataLoss.TotalSeconds:0} s", p.Detail);
            context.Out.Write(table.Render());
            context.Out.WriteLine(result.References is { } checks
                ? $"dangling references: {result.Dangling} of {checks.Sum(c => c.Keys)} referenced keys ({string.Join("; ", checks.Select(c => $"{c.Reference}: {c.Dangling.Count} of {c.Keys}{(c.Dangling.Count > 0 ? $", e.g. {c.Dangling[0]}" : "")}"))})"
                : "dangling references: not checked (name the columns holding object keys with --object-ref)");
        }
        return result.Dangling is > 0 ? CliApp.Failure : 0;
    }

    static string TableChecks(RestoreResult result)
    {
        var table = new TextTable("table", "rows (backup)", "rows (restored)", "fingerprint", "result");
        foreach (var t in result.Tables)
            table.Add(t.Table, t.ExpectedRows.ToString(), t.ActualRows.ToString(), t.ExpectedFingerprint == t.ActualFingerprint ? "same" : "DIFFERENT", t.Passed ? "ok" : "MISMATCH");
        return table.Render();
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
        context.Out.Write(TableChecks(result));
        context.Out.WriteLine(result.Passed
            ? $"restored {result.Name} into {result.Target}: {result.VerifiedSummary}; snapshot {result.Snapshot.Time:yyyy-MM-dd HH:mm:ss}Z (LSN {result.Snapshot.Lsn}), {result.BackupAge.TotalSeconds:0} s old; {result.Duration.TotalSeconds:0.0} s ({string.Join(", ", result.Phases.Select(p => $"{p.Phase.ToString().ToLowerInvariant()} {p.Seconds:0.0} s"))})"
            : $"restore of {result.Name} into {result.Target} rolled back: verification failed");
    }
}
