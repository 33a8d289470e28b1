using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Stores;

/// <summary>One object of a store: its key (relative, '/'-separated) and size in bytes.</summary>
public sealed record StoredObject(string Key, long Size);

/// <summary>
/// What a store holds over one object: the tier it is marked with and until when Object Lock
/// forbids deleting it. Null where there is none, or where the store keeps no such thing (a directory).
/// </summary>
public sealed record ObjectHold(BackupTier? Tier, DateTimeOffset? LockedUntil)
{
    public static readonly ObjectHold None = new(null, null);
}

/// <summary>
/// Where backups live: a directory, an S3 bucket or a Google Cloud Storage bucket, all seen as
/// flat keys under one root. Writes are whole-object: an object appears only once the writer has
/// finished, so a reader never sees half an object. Every object is written marked with the
/// initial tier (<see cref="BackupTiers.Initial"/>: the S3 tag, the GCS metadata key) and, in an S3
/// bucket with Object Lock, retained for that tier's lockDays.
/// A reading call on a store that does not exist is an error, never an empty store.
/// </summary>
public interface IBackupStore
{
    /// <summary>The location string this store was opened from, for messages.</summary>
    string Location { get; }

    /// <summary>Whether objects here carry a tier mark (S3 tags, GCS metadata); a directory has none.</summary>
    bool MarksTiers { get; }

    /// <summary>
    /// Creates or replaces <paramref name="key"/> with what <paramref name="write"/> writes into the
    /// stream it is given. The data streams to the store as it is written; nothing is spooled to disk.
    /// Returns the number of bytes stored.
    /// </summary>
    Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct);

    /// <summary>
    /// Like <see cref="WriteAsync"/>, but only if no object has <paramref name="key"/> yet, decided by
    /// the store itself in the same step as the write (a directory: link(2), which fails on an
    /// existing name; S3: If-None-Match: *; GCS: ifGenerationMatch=0). Returns null, having replaced
    /// nothing, when the key exists or another writer is creating it at the same moment.
    /// </summary>
    Task<long?> CreateAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct);

    /// <summary>Opens an object for reading; a missing one is a RecoveryException naming it.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Every object whose key starts with <paramref name="prefix"/> ("" for all).</summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, CancellationToken ct);

    /// <summary>
    /// Removes the objects for good: in a versioned bucket every version of them, so neither a delete
    /// marker nor a noncurrent version is left behind. A version Object Lock still protects is
    /// refused by the store, and that refusal is a RecoveryException naming it.
    /// </summary>
    Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct);

    /// <summary>The tier mark and Object Lock date of an object (<see cref="ObjectHold.None"/> where the store keeps neither).</summary>
    Task<ObjectHold> HoldAsync(string key, CancellationToken ct);

    /// <summary>
    /// Marks the objects with <paramref name="tier"/> and, where the store locks objects, extends their
    /// retention to at least <paramref name="retainUntil"/> (never shortens it: compliance mode
    /// forbids that, and a shorter lock is never what a promotion means). The retention is extended
    /// before the tag changes, one key after another in the order given: a mark interrupted half-way
    /// still shows the old tier on the keys it did not finish, so the next prune does them again.
    /// A no-op where the store has neither tags nor locks.
    /// </summary>
    Task MarkAsync(IReadOnlyList<string> keys, BackupTier tier, DateTimeOffset retainUntil, CancellationToken ct);
}

public static class BackupStoreExtensions
{
    public static Task<long> WriteAllBytesAsync(this IBackupStore store, string key, byte[] bytes, CancellationToken ct) =>
        store.WriteAsync(key, (stream, token) => stream.WriteAsync(bytes, token).AsTask(), ct);

    /// <summary>Writes <paramref name="key"/> only if it does not exist yet; false when it does.</summary>
    public static async Task<bool> CreateAllBytesAsync(this IBackupStore store, string key, byte[] bytes, CancellationToken ct) =>
        await store.CreateAsync(key, (stream, token) => stream.WriteAsync(bytes, token).AsTask(), ct) is not null;

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
