using System.Globalization;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Runbooks;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// The local environment's Redis as the runbooks see it: cache-a and cache-b, promoted, restored and
/// rejoined through <see cref="LocalCache"/>; every check asks the servers themselves (INFO replication,
/// a real write) and the recorded roles.
/// </summary>
public sealed partial class LocalRunbookTarget
{
    const string ProbeKey = "autovideo-dr:verify";

    LocalCacheNodeState CacheNode(string name) =>
        State().Caches?.FirstOrDefault(c => c.Name == name)
        ?? throw new RecoveryException($"the local environment in {directory} has no Redis node '{name}' (nodes: {string.Join(", ", State().Caches?.Select(c => c.Name) ?? [])})");

    async Task<CacheAssessment?> CacheAssessmentAsync(LocalEnvironmentState state, HealthReport health, CancellationToken ct)
    {
        if (state.Caches?.FirstOrDefault(c => c.Role == NodeRole.Primary) is not { } primary) return null;
        var replica = state.Caches.FirstOrDefault(c => c.Role == NodeRole.Standby);
        var down = health.Components.FirstOrDefault(c => c.Name == primary.Name)?.IsDown ?? true;
        var (usable, detail, point) = replica is null
            ? (false, "no cache replica is recorded", (CachePoint?)null)
            : await ReplicaStandingAsync(replica, primary, ct);
        if (!down || usable) return new CacheAssessment(primary.Name, replica?.Name, down, usable, detail, point);
        // The local store is a directory: nothing to dispose.
        try
        {
            var store = BackupStore.Open(state.BackupDirectory);
            var newest = (await new BackupCatalog(store).ListAsync(ct)).FirstOrDefault(e => e.Manifest?.Cache is not null);
            return new CacheAssessment(primary.Name, replica?.Name, down, usable, detail, point,
                newest is null ? null : (newest.Name, newest.Manifest!.Cache!.Time), newest is null ? $"none in {state.BackupDirectory} holds a Redis part" : null);
        }
        catch (RecoveryException e)
        {
            return new CacheAssessment(primary.Name, replica?.Name, down, usable, detail, point, BackupDetail: $"unreadable ({e.Message})");
        }
    }

    /// <summary>Whether the replica can be promoted (it answers, follows the recorded primary and completed a sync with it) and where it stands.</summary>
    static async Task<(bool Usable, string Detail, CachePoint? Point)> ReplicaStandingAsync(LocalCacheNodeState replica, LocalCacheNodeState primary, CancellationToken ct)
    {
        IReadOnlyDictionary<string, string> info;
        try
        {
            await using var connection = await RespConnection.OpenAsync(LocalCache.Server(replica).Endpoint, ct, TimeSpan.FromSeconds(2));
            info = await connection.InfoAsync("replication", ct);
        }
        catch (RecoveryException e)
        {
            return (false, $"{replica.Name} is down: {e.Message}", null);
        }
        if (info.GetValueOrDefault("role") != "slave") return (false, $"{replica.Name} is not a replica (role {info.GetValueOrDefault("role")})", null);
        if (info.GetValueOrDefault("master_port") != primary.Port.ToString(CultureInfo.InvariantCulture))
            return (false, $"{replica.Name} follows port {info.GetValueOrDefault("master_port")}, not {primary.Name} (port {primary.Port})", null);
        var linkUp = info.GetValueOrDefault("master_link_status") == "up";
        var downFor = info.GetValueOrDefault("master_link_down_since_seconds");
        // A replica that never finished a first sync holds nothing of the primary (Redis reports the link down since -1).
        if (info.GetValueOrDefault("master_sync_in_progress") != "0" || (!linkUp && downFor is null or "-1"))
            return (false, $"{replica.Name} never completed a sync with {primary.Name}: it holds none of its data", null);
        var offset = long.TryParse(info.GetValueOrDefault("slave_repl_offset"), CultureInfo.InvariantCulture, out var o) ? o : (long?)null;
        var id = info.GetValueOrDefault("master_replid");
        return (true, $"{replica.Name} replica of {primary.Name} at offset {offset?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, link {(linkUp ? "up" : $"down for {downFor} s")}",
            new CachePoint($"{replica.Name} at the assessment", replica.Name, id, offset));
    }

    public async Task<string> PromoteCacheAsync(string node, CancellationToken ct)
    {
        if (await CacheServesAsync(node, ct) is { TookEffect: true } done) return $"already the cache primary: {done.Detail}";
        var replica = CacheNode(node);
        // A promotion interrupted after REPLICAOF NO ONE left the roles unrecorded: promoting again is harmless.
        if (replica.Role != NodeRole.Standby)
            throw new RecoveryException($"{node} is recorded as {replica.Role.Name()}, not as the cache replica; only the replica can be promoted");
        var old = State().Caches!.FirstOrDefault(c => c.Role == NodeRole.Primary);
        var endpoint = await LocalCache.PromoteReplicaAsync(directory, ct);
        return $"{node} ({endpoint}) is the cache primary (REPLICAOF NO ONE){(old is null ? "" : $"; {old.Name} fenced first: killed if it ran, configured to come back only as a replica of {node}")}";
    }

    public async Task<StepCheck> CacheServesAsync(string node, CancellationToken ct)
    {
        var cache = CacheNode(node);
        var endpoint = LocalCache.Server(cache).Endpoint;
        if (cache.Role != NodeRole.Primary) return StepCheck.No($"{node} is recorded {cache.Role.Name()}, not the cache primary");
        var clients = State().Describe().CacheEndpoint;
        if (clients != endpoint.ToString()) return StepCheck.No($"clients' cache endpoint is {clients ?? "none"}, not {node} ({endpoint})");
        try
        {
            await using var connection = await RespConnection.OpenAsync(endpoint, ct, TimeSpan.FromSeconds(2));
            var role = (await connection.InfoAsync("replication", ct)).GetValueOrDefault("role");
            if (role != "master") return StepCheck.No($"{node} answers as {role}, not as a primary");
            // A real write, gone again at once: proves writes without leaving data behind.
            var written = await connection.CallTextAsync(ct, "SET", ProbeKey, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), "PX", "60000");
            await connection.CallAsync(ct, "DEL", ProbeKey);
            return written == "OK"
                ? StepCheck.Yes($"clients' cache endpoint {endpoint} leads to {node}, the primary, which takes a write")
                : StepCheck.No($"{node} answered SET with {written}");
        }
        catch (RecoveryException e)
        {
            return StepCheck.No($"{node} does not take a write: {e.Message}");
        }
    }

    public async Task<string> RestoreCacheAsync(string backup, CancellationToken ct)
    {
        var store = BackupStore.Open(State().BackupDirectory);
        var result = await new SystemRestore(loggers).RestoreAsync(store, backup, new SystemRestoreOptions(Parts: [SystemPart.Cache], CacheWorkDirectory: directory), ct);
        var part = result.Parts.Single();
        return $"restored {result.Name}'s Redis part into {result.Cache!.Node} in {part.RecoveryTime.TotalSeconds:0.0} s: {part.Detail}";
    }

    public Task<StepCheck> CacheRestoredAsync(string backup, DateTimeOffset since, CancellationToken ct)
    {
        var primary = State().Caches?.FirstOrDefault(c => c.Role == NodeRole.Primary);
        return Task.FromResult(primary is { RestoredFrom: { } restored, RestoredAt: { } at } && restored == backup && at >= since
            ? StepCheck.Yes($"{primary.Name} holds {backup}, restored and verified at {at:HH:mm:ss}Z")
            : StepCheck.No($"{primary?.Name ?? "no cache primary"} has not been restored from {backup} in this run"));
    }

    public async Task<DataLoss> CacheLossAfterAsync(CachePoint point, DateTimeOffset noLaterThan, CancellationToken ct)
    {
        if (point.TakenAt is { } taken)
            return DataLoss.UpperBound(noLaterThan - taken,
                $"{point.What} was taken at {taken:HH:mm:ss.fff}Z: the writes after it, up to when the failure was seen ({noLaterThan:HH:mm:ss.fff}Z), are not in it") with { Unit = "write" };
        var caches = State().Caches ?? [];
        var replica = point.Node ?? point.What;
        var lost = caches.FirstOrDefault(c => c.Role == NodeRole.Fenced) ?? caches.FirstOrDefault(c => c.Name != replica && c.Role == NodeRole.Primary);
        if (lost is null) return Unknown("no lost cache primary is recorded");
        if (point.Offset is not { } held) return Unknown($"the replication offset of {point.What} could not be read");
        // The lost primary's last known offset: the position its last RDB was saved at (its memory died with it).
        var saved = await RdbFile.PositionAsync(LocalCache.Server(lost).RdbFile, ct);
        if (saved is null)
            return Unknown($"Redis replication is asynchronous and {lost.Name}'s last replication offset died with it: it left no RDB with a position to compare (it saves after 1 write in an hour, 100 in 5 minutes or 10,000 in a minute); {point.What} held offset {held}");
        if (saved.ReplicationId != point.ReplicationId)
            return Unknown($"{lost.Name}'s last RDB ({saved.SavedAt:HH:mm:ss}Z) belongs to another replication history ({saved.ReplicationId}) than {point.What} ({point.ReplicationId ?? "unknown"})");
        if (saved.Offset > held)
            return Unknown($"{lost.Name}'s last RDB ({saved.SavedAt:HH:mm:ss}Z) is at offset {saved.Offset}, {saved.Offset - held} bytes past {point.What} ({held}): writes were lost, but how many and since when cannot be read from what survived");
        // Offsets say everything up to the save survived; the RDB's time has whole seconds, so the bound starts at its second.
        return DataLoss.UpperBound(noLaterThan - saved.SavedAt,
            $"{point.What} held offset {held}, at or past {lost.Name}'s last known offset {saved.Offset} (its RDB saved at {saved.SavedAt:HH:mm:ss}Z): every write before then survived; those after it, up to when the failure was seen ({noLaterThan:HH:mm:ss.fff}Z), are not known to have reached {replica}") with { Unit = "write" };

        static DataLoss Unknown(string why) => DataLoss.Unknown(why) with { Unit = "write" };
    }

    public async Task<string> RejoinCacheAsync(string node, CancellationToken ct)
    {
        if (await IsCacheReplicaAsync(node, ct) is { TookEffect: true } done) return $"already a replica: {done.Detail}";
        var endpoint = await LocalCache.RejoinAsync(directory, node, ct);
        var primary = State().Caches!.First(c => c.Role == NodeRole.Primary);
        return $"{node} ({endpoint}) replicates from {primary.Name}, first sync done";
    }

    public async Task<StepCheck> IsCacheReplicaAsync(string node, CancellationToken ct)
    {
        var cache = CacheNode(node);
        var primary = State().Caches!.FirstOrDefault(c => c.Role == NodeRole.Primary);
        if (cache.Role != NodeRole.Standby || primary is null) return StepCheck.No($"{node} is recorded {cache.Role.Name()}{(primary is null ? " and no cache primary is recorded" : "")}");
        try
        {
            await using var connection = await RespConnection.OpenAsync(LocalCache.Server(cache).Endpoint, ct, TimeSpan.FromSeconds(2));
            var info = await connection.InfoAsync("replication", ct);
            return info.GetValueOrDefault("role") == "slave" && info.GetValueOrDefault("master_port") == primary.Port.ToString(CultureInfo.InvariantCulture)
                && info.GetValueOrDefault("master_link_status") == "up" && info.GetValueOrDefault("master_sync_in_progress") == "0"
                ? StepCheck.Yes($"{node} replicates from {primary.Name} (offset {info.GetValueOrDefault("slave_repl_offset")})")
                : StepCheck.No($"{node}: role {info.GetValueOrDefault("role")}, following port {info.GetValueOrDefault("master_port") ?? "none"}, link {info.GetValueOrDefault("master_link_status") ?? "none"}");
        }
        catch (RecoveryException e)
        {
            return StepCheck.No($"{node} is down: {e.Message}");
        }
    }

    public async Task<StepCheck> VerifyCacheAsync(CancellationToken ct)
    {
        var caches = State().Caches;
        if (caches is not { Count: > 0 }) return StepCheck.Yes("no cache in this environment");
        if (caches.FirstOrDefault(c => c.Role == NodeRole.Primary) is not { } primary) return StepCheck.No("no cache primary is recorded");
        var checks = new List<StepCheck> { await CacheServesAsync(primary.Name, ct) };
        foreach (var replica in caches.Where(c => c.Role == NodeRole.Standby)) checks.Add(await IsCacheReplicaAsync(replica.Name, ct));
        return new StepCheck(checks.All(c => c.TookEffect), string.Join("; ", checks.Select(c => c.Detail)));
    }
}
