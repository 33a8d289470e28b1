using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The Redis part of a system backup: an RDB taken from <paramref name="source"/> (the replica by
/// default, so the primary does no work), loaded on a scratch server to prove it loads and to
/// count and digest what it holds, then stored gzip-compressed with its SHA-256 like every part.
/// The RDB passes through a temporary file (the scratch server needs one), removed after.
/// </summary>
public sealed class CacheBackup(CacheNode source) : ISystemPartCapture
{
    public const string PartPath = BackupPart.Folder + "cache/dump.rdb.gz";

    public SystemPart Part => SystemPart.Cache;

    public async Task<SystemPartCapture> CaptureAsync(string backupName, DateTimeOffset snapshotTime, IBackupStore store, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("avdr-cache-backup-").FullName;
        try
        {
            var rdb = Path.Combine(directory, RedisServer.RdbFileName);
            string version;
            await using (var connection = await RespConnection.OpenAsync(source.Endpoint, ct))
                version = (await connection.InfoAsync("server", ct)).GetValueOrDefault("redis_version") ?? "unknown";
            // A replica's RDB is its own dataset: first let it receive every write its primary had taken
            // by now, so the part holds what the cache held at the backup's moment.
            if (source.Role == NodeRole.Standby) await LocalCache.WaitForSyncAsync(source.Endpoint, ct, TimeSpan.FromSeconds(15));
            var time = DateTimeOffset.UtcNow;
            await RdbFile.TakeAsync(source.Endpoint, rdb, ct);
            var content = await RdbFile.ReadAsync(rdb, $"the RDB taken from {source.Endpoint}", ct);
            var part = await BackupWriter.WritePartAsync(store, backupName, PartPath, BackupPart.CacheRdb, StoredPart.Compression, async (output, token) =>
            {
                await using var file = File.OpenRead(rdb);
                await file.CopyToAsync(output, token);
            }, ct);
            return new SystemPartCapture([part], Cache: new CacheEntry(part.Path, source.Endpoint.ToString(), source.Role, version, time,
                content.Keys, content.Digest, content.VolatileKeys, content.VolatileDigest));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The backup's RDB, checked against the manifest as it is read, into <paramref name="file"/>.</summary>
    public static async Task ExtractAsync(IBackupStore store, BackupManifest manifest, string file, CancellationToken ct)
    {
        var entry = manifest.Cache ?? throw new RecoveryException($"backup {manifest.Name} holds no Redis part; parts it holds: {string.Join(", ", manifest.SystemParts.Select(p => p.Name()))}");
        await StoredPart.ReadAsync(store, manifest, manifest.Part(entry.Part), async (input, token) =>
        {
            await using var output = File.Create(file);
            await input.CopyToAsync(output, token);
            return true;
        }, ct);
    }
}
