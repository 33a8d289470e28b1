using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// A store that runs a hook before each write (and create), to make one part fail or come late the
/// way a crash, a full disk or a slow table would, and optionally wraps what it reads (to break a
/// read half-way), and runs a hook before each listing (to count or hold them). Everything else passes through.
/// </summary>
public sealed class InterceptingStore(IBackupStore inner, Func<string, CancellationToken, Task> beforeWrite, Func<string, Stream, Stream>? onRead = null,
    Func<string, CancellationToken, Task>? beforeList = null) : IBackupStore
{
    public string Location => inner.Location;
    public bool MarksTiers => inner.MarksTiers;

    public async Task<long> WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        await beforeWrite(key, ct);
        return await inner.WriteAsync(key, write, ct);
    }

    public async Task<long?> CreateAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        await beforeWrite(key, ct);
        return await inner.CreateAsync(key, write, ct);
    }


    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var stream = await inner.OpenReadAsync(key, ct);
        return onRead is null ? stream : onRead(key, stream);
    }
    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, CancellationToken ct)
    {
        if (beforeList is not null) await beforeList(prefix, ct);
        return await inner.ListAsync(prefix, ct);
    }

    public Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct) => inner.DeleteAsync(keys, ct);
    public Task<ObjectHold> HoldAsync(string key, CancellationToken ct) => inner.HoldAsync(key, ct);
    public Task MarkAsync(IReadOnlyList<string> keys, BackupTier tier, DateTimeOffset retainUntil, CancellationToken ct) => inner.MarkAsync(keys, tier, retainUntil, ct);
}
