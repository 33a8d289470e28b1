using System.Text.Json;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>The outcome of the last verify of a backup, kept beside it as verification.json.</summary>
public sealed record VerificationRecord(DateTimeOffset VerifiedAt, bool Passed, string? Problem);

/// <summary>
/// A complete backup as the catalog sees it. Manifest is null (and Problem says why) when the
/// manifest exists but cannot be trusted; such a backup is listed but never restored.
/// </summary>
public sealed record CatalogEntry(string Name, DateTimeOffset Time, long StoredSize, BackupManifest? Manifest, string? Problem, VerificationRecord? Verification)
{
    public TimeSpan Age(DateTimeOffset now) => now - Time;
}

/// <summary>
/// The backups of one store. Only folders named like a backup and holding a manifest count: parts
/// without a manifest are an interrupted (or running) backup and stay invisible.
/// </summary>
public sealed class BackupCatalog(IBackupStore store)
{
    public const string VerificationFile = "verification.json";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public IBackupStore Store => store;

    /// <summary>Every complete backup, newest first.</summary>
    public async Task<IReadOnlyList<CatalogEntry>> ListAsync(CancellationToken ct)
    {
        var entries = new List<CatalogEntry>();
        foreach (var (name, objects) in await FoldersAsync(ct))
        {
            if (!objects.Any(o => o.Key == $"{name}/{BackupManifest.FileName}")) continue;
            BackupManifest? manifest = null;
            string? problem = null;
            try { manifest = await ReadManifestAsync(name, ct); }
            catch (RecoveryException e) { problem = e.Message; }
            VerificationRecord? verification = null;
            if (objects.Any(o => o.Key == $"{name}/{VerificationFile}"))
            {
                try { verification = JsonSerializer.Deserialize<VerificationRecord>(await store.ReadAllBytesAsync($"{name}/{VerificationFile}", ct), Json); }
                catch (JsonException) { verification = null; }
            }
            entries.Add(new CatalogEntry(name, manifest?.Snapshot.Time ?? BackupName.TimeOf(name)!.Value, objects.Sum(o => o.Size), manifest, problem, verification));
        }
        return entries.OrderByDescending(e => e.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Folders named like backups that have parts but no manifest: interrupted or still running.</summary>
    public async Task<IReadOnlyList<(string Name, DateTimeOffset Time, long Size)>> IncompleteAsync(CancellationToken ct) =>
        (await FoldersAsync(ct))
            .Where(f => !f.Objects.Any(o => o.Key == $"{f.Name}/{BackupManifest.FileName}"))
            .Select(f => (f.Name, BackupName.TimeOf(f.Name)!.Value, f.Objects.Sum(o => o.Size)))
            .ToList();

    public async Task<CatalogEntry> LatestAsync(CancellationToken ct) =>
        (await ListAsync(ct)).FirstOrDefault(e => e.Manifest is not null)
        ?? throw new RecoveryException($"no complete backup in {store.Location}; take one with 'autovideo-dr backup'");

    /// <summary>The manifest of a named backup, or of the newest for "latest".</summary>
    public async Task<BackupManifest> ResolveAsync(string nameOrLatest, CancellationToken ct)
    {
        if (nameOrLatest == "latest") return (await LatestAsync(ct)).Manifest!;
        var name = BackupName.Validate(nameOrLatest);
        if (!await store.ExistsAsync($"{name}/{BackupManifest.FileName}", ct))
        {
            var incomplete = (await IncompleteAsync(ct)).Any(i => i.Name == name);
            throw new RecoveryException(incomplete
                ? $"backup {name} in {store.Location} is incomplete (no manifest: it was interrupted or is still running); it cannot be used"
                : $"no backup {name} in {store.Location}; see 'autovideo-dr backups list'");
        }
        return await ReadManifestAsync(name, ct);
    }

    public async Task<BackupManifest> ReadManifestAsync(string name, CancellationToken ct) =>
        BackupManifestFile.Parse(name, await store.ReadAllBytesAsync($"{BackupName.Validate(name)}/{BackupManifest.FileName}", ct));

    public Task RecordVerificationAsync(string name, VerificationRecord record, CancellationToken ct) =>
        store.WriteAllBytesAsync($"{BackupName.Validate(name)}/{VerificationFile}", JsonSerializer.SerializeToUtf8Bytes(record, Json), ct);

    /// <summary>
    /// Removes a backup. The manifest goes first: a delete interrupted half-way leaves an incomplete
    /// (invisible) backup, never a listed one with parts missing.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        var keys = (await store.ListAsync($"{BackupName.Validate(name)}/", ct)).Select(o => o.Key).ToList();
        var manifest = $"{name}/{BackupManifest.FileName}";
        if (keys.Contains(manifest)) await store.DeleteAsync([manifest], ct);
        await store.DeleteAsync(keys.Where(k => k != manifest).ToList(), ct);
    }

    async Task<IReadOnlyList<(string Name, IReadOnlyList<StoredObject> Objects)>> FoldersAsync(CancellationToken ct) =>
        (await store.ListAsync(BackupName.Prefix, ct))
            .Where(o => o.Key.Contains('/'))
            .GroupBy(o => o.Key[..o.Key.IndexOf('/')])
            .Where(g => BackupName.IsValid(g.Key))
            .Select(g => (g.Key, (IReadOnlyList<StoredObject>)g.ToList()))
            .ToList();
}
