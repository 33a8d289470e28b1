using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Reads one part of the system's other parts (Redis, media inventories) back, decompressed, checking
/// its size and SHA-256 against the manifest as it streams: a part changed or damaged since it was
/// written fails in one line naming it. (The database restore reads its parts the same way, with
/// progress of its own, in the compression the manifest records.)
/// </summary>
public static class StoredPart
{
    /// <summary>The system parts are gzip whatever the database's parts use: their paths end in .gz in every format.</summary>
    public static readonly PartCompression Compression = PartCompression.Legacy;

    public static async Task<T> ReadAsync<T>(IBackupStore store, BackupManifest manifest, BackupPart part, Func<Stream, CancellationToken, Task<T>> consume, CancellationToken ct)
    {
        BackupManifestFile.CheckPartPath(manifest.Name, part.Path);
        await using var digest = new DigestStream(await store.OpenReadAsync($"{manifest.Name}/{part.Path}", ct));
        T result;
        try
        {
            await using (var decompressed = Compression.Decompress(digest))
                result = await consume(decompressed, ct);
            await digest.CopyToAsync(Stream.Null, ct);
        }
        catch (InvalidDataException e)
        {
            throw new RecoveryException($"backup {manifest.Name}: part {part.Path} is damaged ({e.Message})");
        }
        if (digest.Count != part.Size || digest.Sha256() != part.Sha256)
            throw new RecoveryException($"backup {manifest.Name}: part {part.Path} is damaged: its size or SHA-256 does not match the manifest");
        return result;
    }

    public static Task<byte[]> ReadAllAsync(IBackupStore store, BackupManifest manifest, BackupPart part, CancellationToken ct) =>
        ReadAsync(store, manifest, part, async (input, token) =>
        {
            using var buffer = new MemoryStream();
            await input.CopyToAsync(buffer, token);
            return buffer.ToArray();
        }, ct);
}
