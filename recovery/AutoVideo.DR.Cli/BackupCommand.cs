using System.CommandLine;
using System.Diagnostics;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr backup: take a consistent backup of the database into a store.</summary>
public static class BackupCommand
{
    static readonly Option<string> From = DatabaseArgument.Option("--from", "the database to back up: standby (default, keeps load off the primary), primary, or a connection string without a password (PGPASSWORD or ~/.pgpass supplies it)");
    static readonly Option<int> Parallel = NumberOptions.Whole("--parallel", "connections copying at once (default: one per processor, at least 2); big tables are split into page ranges so all of them have work", 1, 64, absent: 0);
    static readonly Option<string> Compression = new("--compression") { Description = $"how the database's parts are compressed: {PartCompression.Accepted} (default zstd level 1: smaller than pg_dump's default and faster)", DefaultValueFactory = _ => "zstd" };
    // The range per algorithm is PartCompression's to check; the parser refuses what is no level at all.
    static readonly Option<int?> Level = NumberOptions.OptionalWhole("--compression-level", "the compression level (default: 1 for gzip and zstd, 0 for lz4; gzip 1-9, zstd 1-19, lz4 0-12)", 0, 19);

    public static Command Create(CliContext context)
    {
        var command = new Command("backup", "back up the whole database (schema, data, sequences, large objects) from one consistent snapshot into a store, with Redis and the media buckets' inventories when the environment has them, a Prometheus snapshot when it runs monitoring, and the Pulumi stacks' state named with --stacks; --physical: a pgBackRest backup for point-in-time recovery")
        {
            From, Parallel, Compression, Level, SystemPartArguments.Parts, SystemPartArguments.Stacks, PointInTimeCli.Physical, PointInTimeCli.Type,
        };
        StoreArguments.AddTo(command);
        SystemPartArguments.ValidateCombinations(command, restore: false);
        command.Validators.Add(result =>
        {
            if (result.GetResult(PointInTimeCli.Type) is not null && result.GetResult(PointInTimeCli.Physical) is null)
                result.AddError("--type goes with --physical; accepted: backup --physical [--type full|diff|incr]");
        });
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(PointInTimeCli.Physical)) return await PointInTimeCli.BackupAsync(context, parse, ct);
            var clock = Stopwatch.StartNew();
            var compression = PartCompression.Parse(parse.GetValue(Compression)!, parse.GetValue(Level));
            return await StoreArguments.RunAsync(parse, async store =>
            {
                var source = DatabaseArgument.Resolve(parse.GetValue(GlobalOptions.WorkDirectory)!, parse.GetValue(From)!, "--from");
                context.Progress($"backing up {DatabaseConnection.Describe(source)} into {store.Location}");
                var captures = await SystemPartArguments.CapturesAsync(context, parse, ct);
                var manifest = await ProgressDisplay.RunAsync(context, progress =>
                    new BackupWriter(context.Logger<BackupWriter>()).BackupAsync(source, store, new BackupOptions(parse.GetValue(Parallel), progress, compression, SystemParts: captures), ct));
                var scan = await new BackupCatalog(store).ScanAsync(ct);
                var values = BackupMetrics.ForCatalog(scan.Backups, DateTimeOffset.UtcNow);
                values[BackupMetrics.BackupSuccess] = 1;
                values[BackupMetrics.BackupDuration] = clock.Elapsed.TotalSeconds;
                values[BackupMetrics.BackupTimestamp] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                var forecast = await RestoreForecast.ForNewestAsync(store, scan, ct);
                values[BackupMetrics.RestoreForecast] = forecast?.Expected?.TotalSeconds ?? double.NaN;
                await StoreArguments.RecordMetricsAsync(parse, values, ct);
                var skipped = manifest.SkippedObjects;
                if (parse.GetValue(GlobalOptions.Json))
                {
                    JsonOutput.Write(context, new
                    {
                        manifest.Name, Store = store.Location, manifest.Source, manifest.Snapshot, Size = manifest.TotalSize, Tables = manifest.Tables.Count,
                        LargeObjects = manifest.LargeObjects.Count, Parts = manifest.SystemParts, manifest.Cache, manifest.Media, manifest.Stacks,
                        Monitoring = manifest.Parts.FirstOrDefault(p => p.Kind == BackupPart.PrometheusSnapshot), Compression = manifest.PartCompression.ToString(), Skipped = skipped,
                        RestoreForecastSeconds = forecast?.Expected?.TotalSeconds, DurationSeconds = clock.Elapsed.TotalSeconds,
                    });
                }
                else
                {
                    var time = manifest.Snapshot.Basis == SnapshotTimeBasis.LastReplayedCommit ? "last replayed commit" : "snapshot";
                    context.Out.WriteLine($"{manifest.Name}: {manifest.Tables.Count} tables, {manifest.LargeObjects.Count} large objects, {ProgressDisplay.Size(manifest.TotalSize)} ({manifest.PartCompression}) in {store.Location}; snapshot at LSN {manifest.Snapshot.Lsn} ({time} {manifest.Snapshot.Time:yyyy-MM-dd HH:mm:ss}Z) from the {manifest.Source.Role.Name()}; {clock.Elapsed.TotalSeconds:0.0} s");
                    if (manifest.Cache is { } cache) context.Out.WriteLine($"  cache: {cache.Keys} keys ({cache.VolatileKeys} with a TTL) from {cache.Source} ({cache.Role.Name()}), RDB at {cache.Time:yyyy-MM-dd HH:mm:ss}Z");
                    foreach (var m in manifest.Media ?? []) context.Out.WriteLine($"  media: {m.Bucket}: {m.Objects} objects, {ProgressDisplay.Size(m.Bytes)} as of {m.At:yyyy-MM-dd HH:mm:ss}Z");
                    foreach (var stack in manifest.Stacks) context.Out.WriteLine($"  stacks: {stack}: state (pulumi stack export) and config, {ProgressDisplay.Size(manifest.Part(Recovery.Stacks.StackStateBackup.ExportPath(stack)).Size + manifest.Part(Recovery.Stacks.StackStateBackup.ConfigPath(stack)).Size)}, secrets left encrypted");
                    if (manifest.Parts.FirstOrDefault(p => p.Kind == BackupPart.PrometheusSnapshot) is { } snapshot) context.Out.WriteLine($"  monitoring: Prometheus TSDB snapshot, {ProgressDisplay.Size(snapshot.Size)}");
                    if (skipped.Count > 0) context.Out.WriteLine($"skipped (not in the backup): {RestoreResult.Describe(skipped)}");
                }
                return 0;
            }, () => new Dictionary<string, double>
            {
                [BackupMetrics.BackupSuccess] = 0,
                [BackupMetrics.BackupDuration] = clock.Elapsed.TotalSeconds,
                [BackupMetrics.BackupTimestamp] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            });
        });
        return command;
    }
}
