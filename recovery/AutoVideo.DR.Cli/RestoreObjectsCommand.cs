using System.CommandLine;
using System.Globalization;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Media;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr restore objects: put a media bucket (or a prefix of it) back to what was current at
/// a time, or at a backup's inventory, from its own versions: the primary bucket, or its replica
/// in the peer region when the primary region is lost.
/// </summary>
public static class RestoreObjectsCommand
{
    static readonly Option<string> Bucket = new("--bucket") { Description = "the bucket to restore: a media bucket of the environment (or its replica with --replica), or any versioned bucket with --s3-endpoint", Required = true };
    static readonly Option<string> Prefix = new("--prefix") { Description = "only keys under this prefix", DefaultValueFactory = _ => "" };
    static readonly Option<string?> AsOf = new("--as-of") { Description = "the moment to go back to, ISO 8601 UTC (e.g. 2026-11-25T09:30:00Z)" };
    static readonly Option<string?> Backup = new("--backup") { Description = "go back to this backup's inventory of the bucket (a name or latest) instead of a time: exact versions, checked by SHA-256" };
    static readonly Option<bool> Replica = new("--replica") { Description = "restore the bucket's replica in the peer region (the primary region is lost); --bucket names the primary bucket" };
    static readonly Option<bool> DryRun = new("--dry-run") { Description = "show what would change, change nothing" };

    public static Command Create(CliContext context)
    {
        var command = new Command("objects", "restore media objects as of a time or a backup: later overwrites and deletes undone, later objects deleted; every version kept") { Bucket, Prefix, AsOf, Backup, Replica, DryRun };
        StoreArguments.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var asOf = parse.GetValue(AsOf);
            var backup = parse.GetValue(Backup);
            if ((asOf is null) == (backup is null))
                throw new RecoveryException("name exactly one recovery point: --as-of <UTC time> or --backup <name|latest>");
            DateTimeOffset? time = null;
            if (asOf is not null)
            {
                if (!DateTimeOffset.TryParse(asOf, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                    throw new RecoveryException($"--as-of '{asOf}' is not a time; accepted: ISO 8601, e.g. 2026-11-25T09:30:00Z");
                if (parsed > DateTimeOffset.UtcNow) throw new RecoveryException($"--as-of {parsed:yyyy-MM-ddTHH:mm:ssZ} is in the future; accepted: a past moment");
                time = parsed;
            }
            var (store, bucket, target, region) = Resolve(parse);
            using var client = MediaBuckets.Client(store, region);
            var restore = new ObjectRestore(client);
            var options = new ObjectRestoreOptions(parse.GetValue(DryRun), Progress: new Progress<MediaProgress>(p =>
            {
                if (p.Phase == "restore" || (p.Phase == "list" && p.Done % 5000 == 0)) context.Progress($"{p.Bucket}: {p.Phase} {p.Done}{(p.Total > 0 ? $"/{p.Total}" : "")}");
            }));
            ObjectRestoreResult result;
            if (time is { } t)
            {
                context.Progress($"restoring {target}{(parse.GetValue(Prefix) is { Length: > 0 } px ? $" under '{px}'" : "")} as of {t:yyyy-MM-ddTHH:mm:ssZ}");
                result = await restore.AsOfAsync(target, parse.GetValue(Prefix)!, t, options, ct);
            }
            else
            {
                var inventory = await StoreArguments.RunAsync(parse, async backups =>
                {
                    var manifest = await new BackupCatalog(backups).ResolveAsync(backup!, ct);
                    return await MediaInventoryBackup.ReadAsync(backups, manifest, bucket, ct);
                });
                context.Progress($"restoring {target} to the inventory of {bucket} taken at {inventory.At:yyyy-MM-ddTHH:mm:ssZ}");
                result = await restore.ToInventoryAsync(target, parse.GetValue(Prefix)!, inventory, options, ct);
            }
            Print(context, result, parse.GetValue(GlobalOptions.Json));
            return 0;
        });
        return command;
    }

    /// <summary>The media store and bucket: the environment's (its replica with --replica), or a bucket at --s3-endpoint.</summary>
    static (MediaStore Store, string Bucket, string Target, string? Region) Resolve(ParseResult parse)
    {
        var name = parse.GetValue(Bucket)!;
        var media = SystemPartArguments.Media(parse);
        var endpoint = parse.GetValue(StoreArguments.S3Endpoint);
        if (endpoint is not null || media is null)
        {
            if (parse.GetValue(Replica)) throw new RecoveryException("--replica needs the environment's media buckets (their replicas are recorded there)");
            var store = new MediaStore(endpoint, parse.GetValue(StoreArguments.S3Region), parse.GetValue(StoreArguments.S3PathStyle) || endpoint is not null, []);
            return (store, name, name, null);
        }
        var bucket = media.Bucket(name)
            ?? throw new RecoveryException($"unknown bucket '{name}'; accepted: one of the environment's media buckets: {string.Join(", ", media.Buckets.Select(b => $"{b.Name} ({b.Purpose.Name()})"))}");
        if (!parse.GetValue(Replica)) return (media, bucket.Name, name, null);
        return (media, bucket.Name, bucket.Replica ?? throw new RecoveryException($"bucket '{bucket.Name}' has no replica recorded in the environment"), bucket.ReplicaRegion);
    }

    static void Print(CliContext context, ObjectRestoreResult result, bool json)
    {
        if (json)
        {
            JsonOutput.Write(context, new
            {
                result.Bucket, result.Prefix, result.Point, result.DryRun, result.Objects, result.Unchanged, result.Restored, result.Deleted, result.BytesCopied,
                DurationSeconds = result.Duration.TotalSeconds,
                Changes = result.Changes.Select(c => new { c.Key, Change = c.Change, c.CurrentVersionId, c.SourceVersionId, c.Sha256 }),
            });
            return;
        }
        if (result.Changes.Count > 0 && result.Changes.Count <= 50)
        {
            var table = new TextTable("key", "change", "from version", "to version");
            foreach (var c in result.Changes) table.Add(c.Key, c.Change == ObjectChange.Restore ? "restore" : "delete", c.CurrentVersionId ?? "(deleted)", c.SourceVersionId ?? "(delete marker)");
            context.Out.Write(table.Render());
        }
        context.Out.WriteLine($"{(result.DryRun ? "would restore" : "restored")} {result.Bucket}{(result.Prefix.Length > 0 ? $" under '{result.Prefix}'" : "")} as of {result.Point:yyyy-MM-dd HH:mm:ss}Z: " +
            $"{result.Objects} objects, {result.Unchanged} unchanged, {result.Restored} put back, {result.Deleted} deleted (created later), {ProgressDisplay.Size(result.BytesCopied)} copied; {result.Duration.TotalSeconds:0.0} s");
    }
}
