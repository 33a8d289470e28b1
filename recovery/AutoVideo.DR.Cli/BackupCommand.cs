using System.CommandLine;
using System.Diagnostics;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr backup: take a consistent backup of the database into a store.</summary>
public static class BackupCommand
{
    static readonly Option<string> From = new("--from") { Description = "the database to back up: standby (default, keeps load off the primary), primary, or a connection string", DefaultValueFactory = _ => "standby" };
    static readonly Option<int> Parallel = new("--parallel") { Description = "tables copied at once (default: one per processor, at least 2)" };

    public static Command Create(CliContext context)
    {
        var command = new Command("backup", "back up the whole database (schema, data, sequences, large objects) from one consistent snapshot into a store, with Redis and the media buckets' inventories when the environment has them, a Prometheus snapshot when it runs monitoring, and the Pulumi stacks' state named with --stacks") { From, Parallel, SystemPartArguments.Parts, SystemPartArguments.Stacks };
        StoreArguments.AddTo(command);
        SystemPartArguments.ValidateCombinations(command, restore: false);
        command.SetAction(async (parse, ct) =>
        {
            var clock = Stopwatch.StartNew();
            return await StoreArguments.RunAsync(parse, async store =>
            {
                var source = DatabaseArgument.Resolve(parse.GetValue(GlobalOptions.WorkDirectory)!, parse.GetValue(From)!, "--from");
                context.Progress($"backing up {DatabaseConnection.Describe(source)} into {store.Location}");
                var captures = await SystemPartArguments.CapturesAsync(context, parse, ct);
                BackupManifest manifest;
                using (var progress = new ProgressDisplay(context))
                    manifest = await new BackupWriter(context.Logger<BackupWriter>()).BackupAsync(source, store, new BackupOptions(parse.GetValue(Parallel), progress, captures), ct);
                var values = BackupMetrics.ForCatalog(await new BackupCatalog(store).ListAsync(ct), DateTimeOffset.UtcNow);
                values[BackupMetrics.BackupSuccess] = 1;
                values[BackupMetrics.BackupDuration] = clock.Elapsed.TotalSeconds;
                values[BackupMetrics.BackupTimestamp] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                await StoreArguments.RecordMetricsAsync(parse, values, ct);
                if (parse.GetValue(GlobalOptions.Json))
                    JsonOutput.Write(context, new { manifest.Name, Store = store.Location, manifest.Source, manifest.Snapshot, Size = manifest.TotalSize, Tables = manifest.Tables.Count, LargeObjects = manifest.LargeObjects.Count, Parts = manifest.SystemParts, manifest.Cache, manifest.Media, manifest.Stacks,
                        Monitoring = manifest.Parts.FirstOrDefault(p => p.Kind == BackupPart.PrometheusSnapshot), DurationSeconds = clock.Elapsed.TotalSeconds });
                else
                {
                    context.Out.WriteLine($"{manifest.Name}: {manifest.Tables.Count} tables, {manifest.LargeObjects.Count} large objects, {ProgressDisplay.Size(manifest.TotalSize)} in {store.Location}; snapshot at LSN {manifest.Snapshot.Lsn} ({manifest.Snapshot.Time:yyyy-MM-dd HH:mm:ss}Z) from the {manifest.Source.Role.Name()}; {clock.Elapsed.TotalSeconds:0.0} s");
                    if (manifest.Cache is { } cache) context.Out.WriteLine($"  cache: {cache.Keys} keys ({cache.VolatileKeys} with a TTL) from {cache.Source} ({cache.Role.Name()}), RDB at {cache.Time:yyyy-MM-dd HH:mm:ss}Z");
                    foreach (var m in manifest.Media ?? []) context.Out.WriteLine($"  media: {m.Bucket}: {m.Objects} objects, {ProgressDisplay.Size(m.Bytes)} as of {m.At:yyyy-MM-dd HH:mm:ss}Z");
                    foreach (var stack in manifest.Stacks) context.Out.WriteLine($"  stacks: {stack}: state (pulumi stack export) and config, {ProgressDisplay.Size(manifest.Part(Recovery.Stacks.StackStateBackup.ExportPath(stack)).Size + manifest.Part(Recovery.Stacks.StackStateBackup.ConfigPath(stack)).Size)}, secrets left encrypted");
                    if (manifest.Parts.FirstOrDefault(p => p.Kind == BackupPart.PrometheusSnapshot) is { } snapshot) context.Out.WriteLine($"  monitoring: Prometheus TSDB snapshot, {ProgressDisplay.Size(snapshot.Size)}");
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
