namespace AutoVideo.DR.Recovery.Stores;

/// <summary>
/// A store in a local directory (the local environment's default, or an attached or offline
/// disk). Each object is written to a temporary file and renamed into place, so it appears whole or not at all.
/// </summary>
public sealed class DirectoryStore : IBackupStore
{
    const string TemporarySuffix = ".partial";
    readonly string root;

    public DirectoryStore(string directory)
    {
        root = Path.GetFullPath(directory);
        Location = root;
    }

    public string Location { get; }

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}{TemporarySuffix}";
        try
        {
            long size;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file, ct);
                await file.FlushAsync(ct);
                // Durable before it becomes visible: a crash must not leave a complete-looking but empty part.
                file.Flush(flushToDisk: true);
                size = file.Length;
            }
            File.Move(temporary, path, overwrite: true);
            return size;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) throw new RecoveryException($"{key} is missing from {Location}");
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, CancellationToken ct)
    {
        if (!Directory.Exists(root)) return Task.FromResult<IReadOnlyList<StoredObject>>([]);
        var objects = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(TemporarySuffix, StringComparison.Ordinal))
            .Select(f => new StoredObject(Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(f).Length))
            .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<StoredObject>>(objects);
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
