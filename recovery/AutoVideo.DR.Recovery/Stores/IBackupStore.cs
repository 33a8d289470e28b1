namespace AutoVideo.DR.Recovery.Stores;

/// <summary>One object of a store: its key (relative, '/'-separated) and size in bytes.</summary>
public sealed record StoredObject(string Key, long Size);

/// <summary>
/// Where backups live: a directory, an S3 bucket or a Google Cloud Storage bucket, all seen as
/// flat keys under one root. Writes are whole-object: an object appears only once the writer has
/// finished, so a reader never sees half an object.
/// </summary>
public interface IBackupStore
{
    /// <summary>The location string this store was opened from, for messages.</summary>
    string Location { get; }

    /// <summary>
    /// Creates or replaces <paramref name="key"/> with what <paramref name="write"/> writes into the
    /// stream it is given. The data streams to the store as it is written; nothing is spooled to disk.
    /// Returns the number of bytes stored.
    /// </summary>
    Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct);

    /// <summary>Opens an object for reading; a missing one is a RecoveryException naming it.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Every object whose key starts with <paramref name="prefix"/> ("" for all).</summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, CancellationToken ct);

    Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct);
}

public static class BackupStoreExtensions
{
    public static Task<long> WriteAllBytesAsync(this IBackupStore store, string key, byte[] bytes, CancellationToken ct) =>
        store.WriteAsync(key, (stream, token) => stream.WriteAsync(bytes, token).AsTask(), ct);

    public static async Task<byte[]> ReadAllBytesAsync(this IBackupStore store, string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    public static async Task<bool> ExistsAsync(this IBackupStore store, string key, CancellationToken ct) =>
        (await store.ListAsync(key, ct)).Any(o => o.Key == key);
}
