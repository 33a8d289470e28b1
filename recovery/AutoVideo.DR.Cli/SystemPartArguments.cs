using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Media;

namespace AutoVideo.DR.Cli;

/// <summary>
/// The options of a system recovery point (backup and restore): which parts, and for a restore
/// the columns holding object keys and where media objects go. The parts' sources and targets are
/// the local environment's Redis and media buckets.
/// </summary>
public static class SystemPartArguments
{
    public static readonly Option<string?> Parts = new("--parts") { Description = "which parts of the system: all (default: every part the environment or the backup has) or a comma-separated list of database, cache, media" };
    public static readonly Option<string[]> ObjectRefs = new("--object-ref") { Description = "a column holding object keys, checked for dangling references after the restore: [schema.]table.column=uploads|models|generated (repeatable)", AllowMultipleArgumentsPerToken = false };
    public static readonly Option<string> MediaInto = new("--media-into") { Description = "where media objects are restored: primary (the buckets themselves, default) or replica (each bucket's replica in the peer region, when the primary region is lost)", DefaultValueFactory = _ => "primary" };

    static SystemPartArguments()
    {
        // Bad values are usage errors (exit 2), caught before anything runs.
        Parts.Validators.Add(result => Check(result, () => SystemParts.Parse(result.GetValueOrDefault<string?>(), "--parts")));
        ObjectRefs.Validators.Add(result => Check(result, () => (result.GetValueOrDefault<string[]>() ?? []).Select(ObjectReference.Parse).ToList()));
        MediaInto.Validators.Add(result => Check(result, () => result.GetValueOrDefault<string>() is "primary" or "replica"
            ? true : throw new RecoveryException($"--media-into '{result.GetValueOrDefault<string>()}' is not understood; accepted: primary or replica")));
    }

    public static void Check<T>(System.CommandLine.Parsing.OptionResult result, Func<T> parse)
    {
        try { parse(); }
        catch (RecoveryException e) { result.AddError(e.Message); }
    }

    /// <summary>What a backup captures beside the database: Redis from the replica (else the primary), each media bucket's inventory.</summary>
    public static IReadOnlyList<ISystemPartCapture> Captures(CliContext context, ParseResult parse)
    {
        var asked = SystemParts.Parse(parse.GetValue(Parts), "--parts");
        if (asked is not null && !asked.Contains(SystemPart.Database))
            throw new RecoveryException("--parts must include database: a backup always holds the database");
        var state = LocalEnvironmentState.TryLoad(Path.GetFullPath(parse.GetValue(GlobalOptions.WorkDirectory)!));
        var description = state?.Describe();
        var captures = new List<ISystemPartCapture>();
        var wantCache = asked?.Contains(SystemPart.Cache) ?? true;
        var wantMedia = asked?.Contains(SystemPart.Media) ?? true;
        if (wantCache && description?.CacheNodes is { Count: > 0 } caches)
        {
            // The replica when it runs (no load on the primary), else the primary; with neither, a
            // backup that was not asked for the cache still takes the database (a Redis outage must
            // not stop the database's backups) and says so.
            bool Running(CacheNode c) => Recovery.Cache.LocalCache.Server(state!.Caches!.Single(s => s.Name == c.Name)).IsRunning();
            var source = caches.FirstOrDefault(c => c.Role == NodeRole.Standby && Running(c)) ?? caches.FirstOrDefault(c => c.Role == NodeRole.Primary && Running(c));
            if (source is not null) captures.Add(new CacheBackup(source));
            else if (asked is null) context.Progress("warning: no Redis node of the environment runs; this backup holds no cache part");
            else throw new RecoveryException("--parts names cache but no Redis node of the environment runs");
        }
        else if (asked?.Contains(SystemPart.Cache) == true)
            throw new RecoveryException("--parts names cache but the environment has no Redis (a local environment in --workdir)");
        if (wantMedia && description?.Media is { } media)
        {
            var progress = new Progress<MediaProgress>(p => { if (p.Phase == "checksums") context.Progress($"inventory of {p.Bucket}: {p.Done}/{p.Total} checksums"); });
            captures.AddRange(media.Buckets.Select(b => new MediaInventoryBackup(media, b, progress)));
        }
        else if (asked?.Contains(SystemPart.Media) == true)
            throw new RecoveryException("--parts names media but the environment has no media buckets (create the local environment with --media-endpoint)");
        return captures;
    }

    public static IReadOnlyList<ObjectReference> References(ParseResult parse) =>
        (parse.GetValue(ObjectRefs) ?? []).Select(ObjectReference.Parse).ToList();

    public static bool IntoReplicas(ParseResult parse) => parse.GetValue(MediaInto) switch
    {
        "primary" => false,
        "replica" => true,
        var other => throw new RecoveryException($"--media-into '{other}' is not understood; accepted: primary or replica"),
    };

    /// <summary>The media buckets of the local environment in --workdir, if it has any.</summary>
    public static MediaStore? Media(ParseResult parse) =>
        LocalEnvironmentState.TryLoad(Path.GetFullPath(parse.GetValue(GlobalOptions.WorkDirectory)!))?.Media;
}
