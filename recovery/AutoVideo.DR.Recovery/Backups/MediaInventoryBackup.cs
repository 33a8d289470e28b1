using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// A media bucket's part of a system backup: its inventory as of the database snapshot's time
/// (every key's current version, size and SHA-256). Checksums of versions the previous backup in
/// the store already recorded are carried over, so each version is read at most once over all backups.
/// </summary>
public sealed class MediaInventoryBackup(MediaStore media, MediaBucket bucket, IProgress<MediaProgress>? progress = null) : ISystemPartCapture
{
    public SystemPart Part => SystemPart.Media;

    public static string PartPath(string bucket) => $"{BackupPart.Folder}media/{bucket}.inventory.json.gz";

    public async Task<SystemPartCapture> CaptureAsync(string backupName, DateTimeOffset snapshotTime, IBackupStore store, CancellationToken ct)
    {
        using var client = MediaBuckets.Client(media);
        var previous = await PreviousAsync(store, bucket.Name, ct);
        var inventory = await BucketInventory.TakeAsync(client, bucket.Name, bucket.Purpose, snapshotTime, previous, progress, ct);
        var bytes = inventory.Serialize();
        var part = await BackupWriter.WritePartAsync(store, backupName, PartPath(bucket.Name), BackupPart.ObjectInventory, StoredPart.Compression,
            (output, token) => output.WriteAsync(bytes, token).AsTask(), ct);
        return new SystemPartCapture([part], Media: new MediaEntry(bucket.Name, bucket.Purpose, part.Path, inventory.At, inventory.Objects.Count, inventory.Bytes));
    }

    /// <summary>The inventory of <paramref name="bucket"/> recorded in <paramref name="manifest"/>, checked as it is read.</summary>
    public static async Task<BucketInventory> ReadAsync(IBackupStore store, BackupManifest manifest, string bucket, CancellationToken ct)
    {
        var entry = manifest.Media?.FirstOrDefault(m => m.Bucket == bucket)
            ?? throw new RecoveryException($"backup {manifest.Name} holds no inventory of bucket '{bucket}'; it holds: {(manifest.Media is { Count: > 0 } m ? string.Join(", ", m.Select(x => x.Bucket)) : "none")}");
        return BucketInventory.Parse(await StoredPart.ReadAllAsync(store, manifest, manifest.Part(entry.Part), ct), $"backup {manifest.Name}: {entry.Part}");
    }

    static async Task<BucketInventory?> PreviousAsync(IBackupStore store, string bucket, CancellationToken ct)
    {
        var latest = (await new BackupCatalog(store).ListAsync(ct)).FirstOrDefault(e => e.Manifest?.Media?.Any(m => m.Bucket == bucket) == true);
        if (latest is null) return null;
        try { return await ReadAsync(store, latest.Manifest!, bucket, ct); }
        catch (RecoveryException) { return null; } // a damaged earlier inventory only costs re-reading the checksums
    }
}
