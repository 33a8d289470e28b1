using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Stores;

/// <summary>
/// A store in a local directory (the local environment's default, or an attached or offline
/// disk). Each object is written to a temporary file and renamed into place, so it appears whole or
/// not at all. A directory has no tags and no locks: <see cref="HoldAsync"/> and <see cref="MarkAsync"/>
/// hold and do nothing.
/// </summary>
public sealed class DirectoryStore : IBackupStore
{
    const string TemporarySuffix = ".partial";
    // errno values .NET reports as IOException.HResult on Linux.
    const int NoSpace = 28, ReadOnlyFileSystem = 30, QuotaExceeded = 122;
    readonly string root;

    public DirectoryStore(string directory)
    {
        root = Path.GetFullPath(directory);
        Location = root;
    }

    public string Location { get; }

    public bool MarksTiers => false;

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct) =>
        (await WriteFileAsync(key, write, replace: true, ct))!.Value;

    public Task<long?> CreateAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct) =>
        WriteFileAsync(key, write, replace: false, ct);

    async Task<long?> WriteFileAsync(string key, Func<Stream, CancellationToken, Task> write, bool replace, CancellationToken ct)
    {
        var path = PathOf(key);
        PrepareForWriting();
        var temporary = $"{path}.{Guid.NewGuid():N}{TemporarySuffix}";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            long size;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file, ct);
                await file.FlushAsync(ct);
                // Durable before it becomes visible: a crash must not leave a complete-looking but empty part.
                file.Flush(flushToDisk: true);
                size = file.Length;
            }
            if (replace)
            {
                File.Move(temporary, path, overwrite: true);
            }
            else
            {
                // .NET's no-overwrite move is atomic only where the file system has hard links; elsewhere it
                // checks and then renames, and simultaneous creates all win (seen on CI). An exclusive lock
                // on one file of the store makes check-and-rename one step, across threads and processes.
                using (await CreateLockAsync(ct))
                {
                    if (File.Exists(path))
                    {
                        TryDelete(temporary);
                        return null;
                    }
                    File.Move(temporary, path, overwrite: false);
                }
            }
            return size;
        }
        catch (Exception e) when (WriteFault(e, key) is { } fault)
        {
            TryDelete(temporary);
            throw fault;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// FileShare.None takes flock(LOCK_EX) on Linux: released by the kernel when the holder exits, so a
    /// crashed writer never leaves the store locked. The file ends in the temporary suffix, so it is never listed.
    /// </summary>
    async Task<IDisposable> CreateLockAsync(CancellationToken ct)
    {
        var lockPath = Path.Combine(root, ".create" + TemporarySuffix);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try { return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(5, ct); }
            catch (IOException e)
            {
                throw new RecoveryException($"cannot lock {lockPath} to create an object in store {Location}: {e.Message}; another writer holds it for over 30 s, or the directory refuses locks");
            }
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        CheckExists();
        if (!File.Exists(path)) throw new RecoveryException($"{key} is missing from {Location}");
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, CancellationToken ct)
    {
        CheckExists();
        try
        {
            var objects = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(TemporarySuffix, StringComparison.Ordinal))
                .Select(f => new StoredObject(Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(f).Length))
                .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(o => o.Key, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult<IReadOnlyList<StoredObject>>(objects);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RecoveryException($"cannot read store {Location}: permission denied ({e.Message}); fix its permissions or run as its owner");
        }
    }

    public Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            var path = PathOf(key);
            TryDelete(path);
            // Remove directories left empty, up to the root.
            for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > root.Length && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any(); dir = Path.GetDirectoryName(dir))
                Directory.Delete(dir);
        }
        return Task.CompletedTask;
    }

    public Task<ObjectHold> HoldAsync(string key, CancellationToken ct) => Task.FromResult(ObjectHold.None);

    public Task MarkAsync(IReadOnlyList<string> keys, BackupTier tier, DateTimeOffset retainUntil, CancellationToken ct) => Task.CompletedTask;

    /// <summary>A store that is not there, or is a file, is an error for anything that reads it: never "no backups".</summary>
    void CheckExists()
    {
        if (File.Exists(root)) throw IsAFile();
        if (!Directory.Exists(root)) throw new RecoveryException($"store {root} does not exist; check --store (a backup creates it)");
    }

    /// <summary>
    /// A backup creates its store directory when the parent exists; a missing parent is more likely a
    /// typo in --store than a new disk, so it is refused with advice instead of creating a tree.
    /// </summary>
    void PrepareForWriting()
    {
        if (File.Exists(root)) throw IsAFile();
        if (Directory.Exists(root)) return;
        var parent = Path.GetDirectoryName(root);
        if (parent is null || !Directory.Exists(parent))
            throw new RecoveryException($"store {root} does not exist, nor does its parent {parent}; create it first (mkdir -p {root}) or correct --store");
        try { Directory.CreateDirectory(root); }
        catch (Exception e) when (WriteFault(e, root) is { } fault) { throw fault; }
    }

    RecoveryException IsAFile() =>
        new($"store {root} is a file, not a directory; --store takes a directory, s3://bucket/prefix or gs://bucket/prefix");

    /// <summary>The store's own failures (permissions, a full or read-only disk) as one line; null for anything else, which passes through.</summary>
    RecoveryException? WriteFault(Exception e, string key) => e switch
    {
        UnauthorizedAccessException => new($"cannot write to store {Location}: permission denied on {key}; fix the directory's permissions or choose another --store"),
        IOException { HResult: NoSpace } => new($"store {Location} is full (no space left on device) while writing {key}; free space there or choose another --store"),
        IOException { HResult: QuotaExceeded } => new($"store {Location} is full (disk quota exceeded) while writing {key}; free space there or choose another --store"),
        IOException { HResult: ReadOnlyFileSystem } => new($"cannot write to store {Location}: it is on a read-only file system; choose another --store"),
        _ => null,
    };

    string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(root, StoreKey.Validate(key)));
        // Belt and braces: the key rule already forbids escaping, this catches symlink-free surprises.
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new RecoveryException($"unsafe path '{key}' rejected: it resolves outside {root}");
        return path;
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
