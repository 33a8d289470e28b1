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
    public static readonly Option<string?> Parts = new("--parts") { Description = "which parts of the system: all (default: every part the environment has; for a restore every data part the backup holds: database, cache, media) or a comma-separated list of database, cache, media, stacks, monitoring" };
    public static readonly Option<string[]> Stacks = new("--stacks")
    {
        Description = "backup: also store these Pulumi stacks' state (pulumi stack export) and config (pulumi config --json), secrets left encrypted, e.g. --stacks prod,dr,global (needs the pulumi CLI and the backend); restore --parts stacks: only these of the backup's stacks",
        AllowMultipleArgumentsPerToken = true,
    };
    public static readonly Option<string?> PrometheusData = new("--prometheus-data") { Description = "restore --parts monitoring into this new or empty directory (a stopped Prometheus's --storage.tsdb.path) instead of the local environment's Prometheus" };
    public static readonly Option<string[]> ObjectRefs = new("--object-ref") { Description = "a column holding object keys, checked for dangling references after the restore: [schema.]table.column=uploads|models|generated (repeatable)", AllowMultipleArgumentsPerToken = false };
    public static readonly Option<string> MediaInto = new("--media-into") { Description = "where media objects are restored: primary (the buckets themselves, default) or replica (each bucket's replica in the peer region, when the primary region is lost)", DefaultValueFactory = _ => "primary" };

    static SystemPartArguments()
    {
        // Bad values are usage errors (exit 2), caught before anything runs.
        Parts.Validators.Add(result => Check(result, () => SystemParts.Parse(result.GetValueOrDefault<string?>(), "--parts")));
        ObjectRefs.Validators.Add(result => Check(result, () => (result.GetValueOrDefault<string[]>() ?? []).Select(ObjectReference.Parse).ToList()));
        Stacks.Validators.Add(result => Check(result, () => Recovery.Stacks.StackStateBackup.Parse(result.GetValueOrDefault<string[]>() ?? [])));
        MediaInto.Validators.Add(result => Check(result, () => result.GetValueOrDefault<string>() is "primary" or "replica"
            ? true : throw new RecoveryException($"--media-into '{result.GetValueOrDefault<string>()}' is not understood; accepted: primary or replica")));
    }

    /// <summary>
    /// The combinations a command line must not hold, as usage errors (exit 2) before anything runs: --stacks
    /// and --prometheus-data only where --parts lets their part in (a backup of all parts takes the stacks named).
    /// </summary>
    public static void ValidateCombinations(Command command, bool restore)
    {
        command.Validators.Add(result =>
        {
            IReadOnlyList<SystemPart>? parts;
            try { parts = SystemParts.Parse(result.GetValue(Parts), "--parts"); }
            catch (RecoveryException) { return; } // --parts' own validator says why
            var stacks = (result.GetValue(Stacks) ?? []).Length > 0;
            if (restore)
            {
                if (stacks && parts?.Contains(SystemPart.Stacks) != true)
                    result.AddError("--stacks chooses among the stacks a restore brings back, but --parts does not name stacks; accepted: --parts stacks --stacks dr");
                if (result.GetValue(PrometheusData) is not null && parts?.Contains(SystemPart.Monitoring) != true)
                    result.AddError("--prometheus-data is where a monitoring restore goes, but --parts does not name monitoring; accepted: --parts monitoring --prometheus-data DIR");
                return;
            }
            if (stacks && parts is not null && !parts.Contains(SystemPart.Stacks))
                result.AddError($"--stacks names stacks to back up but --parts '{result.GetValue(Parts)}' leaves stacks out; add stacks to --parts or drop --stacks");
            if (!stacks && parts?.Contains(SystemPart.Stacks) == true)
                result.AddError("--parts names stacks but no --stacks names them; accepted: --stacks prod,dr,global");
        });
    }

    public static void Check<T>(System.CommandLine.Parsing.OptionResult result, Func<T> parse)
    {
        try { parse(); }
        catch (RecoveryException e) { result.AddError(e.Message); }
    }

    /// <summary>The stacks named with --stacks, checked; empty when none.</summary>
    public static IReadOnlyList<string> StackNames(ParseResult parse) => Recovery.Stacks.StackStateBackup.Parse(parse.GetValue(Stacks) ?? []);

    /// <summary>
    /// What a backup captures beside the database: Redis from the replica (else the primary), each media
    /// bucket's inventory, the stacks' state named with --stacks, and a Prometheus snapshot when monitoring runs.
    /// </summary>
    public static async Task<IReadOnlyList<ISystemPartCapture>> CapturesAsync(CliContext context, ParseResult parse, CancellationToken ct)
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
            // The replica when it runs and follows its primary (no load on the primary; a replica cut
            // off from it holds stale data), else the primary; with neither, a backup that was not
            // asked for the cache still takes the database (a Redis outage must not stop the
            // database's backups) and says so.
            bool Running(CacheNode c) => Recovery.Cache.LocalCache.Server(state!.Caches!.Single(s => s.Name == c.Name)).IsRunning();
            var replica = caches.FirstOrDefault(c => c.Role == NodeRole.Standby && Running(c));
            if (replica is not null && !await Recovery.Cache.LocalCache.FollowsPrimaryAsync(replica.Endpoint, ct)) replica = null;
            var source = replica ?? caches.FirstOrDefault(c => c.Role == NodeRole.Primary && Running(c));
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
        var stacks = StackNames(parse);
        if (stacks.Count > 0)
        {
            // Checked before the backup claims a name: a stack that is not there fails now, not half-way.
            var driver = context.Stacks();
            var known = await driver.StacksAsync(ct);
            if (stacks.Except(known).ToList() is { Count: > 0 } missing)
                throw new RecoveryException($"--stacks names {string.Join(", ", missing)}, which the current Pulumi backend does not hold (it holds: {(known.Count > 0 ? string.Join(", ", known.Order()) : "none")}); check --stacks and 'pulumi whoami'");
            captures.Add(new Recovery.Stacks.StackStateBackup(driver, stacks));
        }
        var monitoring = state?.Monitoring;
        var prometheus = monitoring is not null && monitoring.Process(Recovery.Monitoring.MonitoringComponent.Prometheus).IsRunning();
        if ((asked?.Contains(SystemPart.Monitoring) ?? true) && prometheus) captures.Add(new Recovery.Monitoring.PrometheusSnapshotBackup(monitoring!));
        else if (asked is null && monitoring is not null) context.Progress("warning: the environment's Prometheus does not run; this backup holds no monitoring part");
        else if (asked?.Contains(SystemPart.Monitoring) == true)
            throw new RecoveryException(monitoring is null
                ? "--parts names monitoring but the environment runs no monitoring (create it with 'autovideo-dr local up --monitoring')"
                : "--parts names monitoring but the environment's Prometheus does not run");
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
