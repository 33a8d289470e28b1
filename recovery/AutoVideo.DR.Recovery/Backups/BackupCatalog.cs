using System.Text.Json;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>The outcome of the last verify of a backup, kept beside it as verification.json.</summary>
public sealed record VerificationRecord(DateTimeOffset VerifiedAt, bool Passed, string? Problem);

/// <summary>What a backup name's claim object says: when, and which host and process took the name.</summary>
public sealed record BackupClaim(DateTimeOffset ClaimedAt, string Host, int Process);

/// <summary>
/// A complete backup as the catalog sees it. Manifest is null (and Problem says why) when the
/// manifest exists but cannot be trusted; such a backup is listed but never restored.
/// </summary>
public sealed record CatalogEntry(string Name, DateTimeOffset Time, long StoredSize, BackupManifest? Manifest, string? Problem, VerificationRecord? Verification)
{
    public TimeSpan Age(DateTimeOffset now) => now - Time;

    /// <summary>
    /// Its manifest is intact and no verify found it damaged: the only kind retention may count as a
    /// period's pick. (Never verified counts as intact: verification is not required, only believed.)
    /// </summary>
    public bool Intact => Manifest is not null && Verification?.Passed != false;

    /// <summary>Why it is not intact: the manifest's problem or the failed verify's; null when intact.</summary>
    public string? Damage => Problem ?? (Verification is { Passed: false } v ? $"failed verification on {v.VerifiedAt.UtcDateTime:yyyy-MM-dd HH:mm}: {v.Problem}" : null);
}

/// <summary>Parts without a manifest: a backup that was interrupted, or is still running.</summary>
public sealed record IncompleteBackup(string Name, DateTimeOffset Time, long Size, IReadOnlyList<string> Keys);

/// <summary>A folder named like a backup whose name is not a real time (month 13): listed, never counted, never deleted.</summary>
public sealed record MalformedBackup(string Name, long Size, string Problem);

/// <summary>
/// Everything named like a backup in a store, read in one listing: Recorded names the backups with a
/// throughput record, newest first (what the restore forecast reads), so that the forecast beside a
/// listing needs no second listing of every object in the store.
/// </summary>
public sealed record CatalogScan(IReadOnlyList<CatalogEntry> Backups, IReadOnlyList<IncompleteBackup> Incomplete, IReadOnlyList<MalformedBackup> Malformed, IReadOnlyList<string> Recorded);

/// <summary>
/// The backups of one store. Only folders named like a backup and holding a manifest count: parts
/// without a manifest are an interrupted (or running) backup and stay invisible.
/// </summary>
public sealed class BackupCatalog(IBackupStore store)
{
    public const string VerificationFile = "verification.json";
    /// <summary>Written first, create-if-absent: whoever creates it owns the name.</summary>
    public const string ClaimFile = "claim.json";
    const int ClaimAttempts = 5;
    /// <summary>Small objects (manifests, records) read at once when many are wanted: each read is a round trip to the store.</summary>
    internal const int ConcurrentReads = 16;
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, TypeInfoResolver = RecoveryJson.Resolver };

    public IBackupStore Store => store;

    /// <summary>Every complete backup, newest first.</summary>
    public async Task<IReadOnlyList<CatalogEntry>> ListAsync(CancellationToken ct) => (await ScanAsync(ct)).Backups;

    /// <summary>Interrupted or still running backups (parts without a manifest).</summary>
    public async Task<IReadOnlyList<IncompleteBackup>> IncompleteAsync(CancellationToken ct) => (await ScanAsync(ct)).Incomplete;

    /// <summary>Complete backups (newest first, by time), incomplete ones, and folders whose backup-like name is not a real time.</summary>
    public async Task<CatalogScan> ScanAsync(CancellationToken ct) => await ScanAsync(await FoldersAsync(ct), ct);

    async Task<CatalogScan> ScanAsync(IReadOnlyList<(string Name, IReadOnlyList<StoredObject> Objects)> folders, CancellationToken ct)
    {
        var complete = new List<(string Name, DateTimeOffset Time, long Size, bool Verified)>();
        var incomplete = new List<IncompleteBackup>();
        var malformed = new List<MalformedBackup>();
        foreach (var (name, objects) in folders)
        {
            var size = objects.Sum(o => o.Size);
            if (BackupName.TimeOf(name) is not { } nameTime)
                malformed.Add(new MalformedBackup(name, size, BackupName.Malformation(name)!));
            else if (!objects.Any(o => o.Key == $"{name}/{BackupManifest.FileName}"))
                incomplete.Add(new IncompleteBackup(name, nameTime, size, objects.Select(o => o.Key).ToList()));
            else
                complete.Add((name, nameTime, size, objects.Any(o => o.Key == $"{name}/{VerificationFile}")));
        }
        // Every listing, every "restore latest" reads every manifest: one round trip each (tens of ms
        // on S3), and a store keeps hundreds of backups. Read a few at once, not one after another.
        using var reads = new SemaphoreSlim(ConcurrentReads);
        var entries = await Task.WhenAll(complete.Select(async c =>
        {
            await reads.WaitAsync(ct);
            try { return await ReadEntryAsync(c.Name, c.Time, c.Size, c.Verified, ct); }
            finally { reads.Release(); }
        }));
        return new CatalogScan(
            entries.OrderByDescending(e => e.Time).ThenByDescending(e => e.Name, StringComparer.Ordinal).ToList(),
            incomplete,
            malformed.OrderByDescending(m => m.Name, StringComparer.Ordinal).ToList(),
            ThroughputRecord.Recorded(folders.SelectMany(f => f.Objects)));
    }

    async Task<CatalogEntry> ReadEntryAsync(string name, DateTimeOffset nameTime, long size, bool verified, CancellationToken ct)
    {
        BackupManifest? manifest = null;
        string? problem = null;
        try { manifest = await ReadManifestAsync(name, ct); }
        catch (RecoveryException e) { problem = e.Message; }
        VerificationRecord? verification = null;
        if (verified)
        {
            try { verification = JsonSerializer.Deserialize<VerificationRecord>(await store.ReadAllBytesAsync($"{name}/{VerificationFile}", ct), Json); }
            catch (JsonException) { verification = null; }
        }
        return new CatalogEntry(name, manifest?.Snapshot.Time ?? nameTime, size, manifest, problem, verification);
    }

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
    /// A name no other backup has or will have: a fresh one (<see cref="BackupName.For"/>) whose claim
    /// object the store creates only if absent, before any part is written under it. A claim that
    /// loses (the name exists, or another backup creates it at this moment) takes another name; no
    /// backup ever writes into, or overwrites, another's.
    /// </summary>
    public async Task<string> ClaimAsync(DateTimeOffset startedAt, CancellationToken ct)
    {
        var claim = JsonSerializer.SerializeToUtf8Bytes(new BackupClaim(DateTimeOffset.UtcNow, Environment.MachineName, Environment.ProcessId), Json);
        for (var attempt = 0; attempt < ClaimAttempts; attempt++)
        {
            var name = BackupName.For(attempt == 0 ? startedAt : DateTimeOffset.UtcNow);
            if (await store.CreateAllBytesAsync($"{name}/{ClaimFile}", claim, ct)) return name;
        }
        throw new RecoveryException($"could not claim a backup name in {store.Location}: {ClaimAttempts} fresh names were all taken, which random names make practically impossible; check that the store does not report every key as existing");
    }

    /// <summary>
    /// Writes the manifest that makes a claimed backup complete, create-if-absent: a manifest is never
    /// replaced, not even by a second writer that somehow holds the same name.
    /// </summary>
    public async Task CompleteAsync(BackupManifest manifest, CancellationToken ct)
    {
        if (!await store.CreateAllBytesAsync($"{BackupName.Validate(manifest.Name)}/{BackupManifest.FileName}", BackupManifestFile.Serialize(manifest), ct))
            throw new RecoveryException($"backup {manifest.Name} in {store.Location} already has a manifest; another writer used the name, so this backup was not recorded (its parts may be mixed: verify it)");
    }

    /// <summary>
    /// Removes a backup. The manifest goes first: a delete interrupted half-way leaves an incomplete
    /// (invisible) backup, never a listed one with parts missing.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        var keys = (await store.ListAsync($"{BackupName.Validate(name)}/", ct)).Select(o => o.Key).ToList();
        await DeleteKeysAsync(name, keys, ct);
    }

    async Task DeleteKeysAsync(string name, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var manifest = $"{name}/{BackupManifest.FileName}";
        if (keys.Contains(manifest)) await store.DeleteAsync([manifest], ct);
        await store.DeleteAsync(keys.Where(k => k != manifest).ToList(), ct);
    }

    /// <summary>
    /// Applies <paramref name="policy"/> (with <paramref name="apply"/> false, only says what it would do).
    /// <list type="bullet">
    /// <item>Only intact backups are counted as an hour's, day's or week's pick; a damaged one is reported and left for inspection (on S3 its hourly tag lets the lifecycle expire it).</item>
    /// <item>A kept backup whose pick is settled is promoted: its objects' retention extended to its time plus the tier's lockDays, then its tier tag changed (S3; GCS metadata; nothing in a directory).</item>
    /// <item>A backup no tier keeps is deleted, every version of it, unless Object Lock still retains it: then it is reported as kept by the lock until its date.</item>
    /// <item>An incomplete backup older than a day is deleted the same way; a malformed name is reported and left.</item>
    /// </list>
    /// </summary>
    public async Task<IReadOnlyList<PruneOutcome>> PruneAsync(RetentionPolicy policy, bool apply, DateTimeOffset now, CancellationToken ct)
    {
        var folders = await FoldersAsync(ct);
        var scan = await ScanAsync(folders, ct);
        var keysOf = folders.ToDictionary(f => f.Name, f => (IReadOnlyList<string>)f.Objects.Select(o => o.Key).ToList());
        var byName = scan.Backups.ToDictionary(e => e.Name);
        var outcomes = new List<PruneOutcome>();
        foreach (var decision in policy.Decide(scan.Backups.Where(e => e.Intact).Select(e => (e.Name, e.Time)), now))
        {
            var entry = byName[decision.Name];
            var keys = keysOf[entry.Name];
            if (decision.Tier is { } tier)
            {
                var marked = await PromoteAsync(entry, keys, tier, apply, ct);
                outcomes.Add(new PruneOutcome(entry.Name, entry.Time, PruneAction.Keep, string.Join(", ", decision.KeptBy) + marked));
                continue;
            }
            outcomes.Add(await RemoveAsync(entry.Name, entry.Time, keys, [LastWritten(entry.Name, keys)], "outside every tier", apply, now, ct));
        }
        foreach (var damaged in scan.Backups.Where(e => !e.Intact))
            outcomes.Add(new PruneOutcome(damaged.Name, damaged.Time, PruneAction.Damaged, $"not counted by any tier, left for inspection: {damaged.Damage}"));
        foreach (var stale in scan.Incomplete.Where(i => now - i.Time > TimeSpan.FromDays(1)))
            outcomes.Add(await RemoveAsync(stale.Name, stale.Time, stale.Keys, stale.Keys, "incomplete (no manifest), older than a day", apply, now, ct));
        foreach (var malformed in scan.Malformed)
            outcomes.Add(new PruneOutcome(malformed.Name, null, PruneAction.Malformed, $"malformed name, left alone: {malformed.Problem}"));
        return outcomes.OrderByDescending(o => o.Time ?? DateTimeOffset.MinValue).ThenByDescending(o => o.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Brings a kept backup's marks up to its tier. The manifest's mark stands for the backup's (it is
    /// marked last), the verification record's is checked on its own (a verify rewrites it hourly).
    /// A tier is never lowered. Returns what it did, for the report ("" when nothing).
    /// </summary>
    async Task<string> PromoteAsync(CatalogEntry entry, IReadOnlyList<string> keys, BackupTier tier, bool apply, CancellationToken ct)
    {
        var manifest = $"{entry.Name}/{BackupManifest.FileName}";
        var verification = $"{entry.Name}/{VerificationFile}";
        var due = new List<string>();
        if ((await store.HoldAsync(manifest, ct)).Tier is not { } current || current < tier)
            due.AddRange(keys.Where(k => k != manifest).Append(manifest));
        else if (keys.Contains(verification) && ((await store.HoldAsync(verification, ct)).Tier is not { } checkedTier || checkedTier < tier))
            due.Add(verification);
        if (due.Count == 0 || !store.MarksTiers) return "";
        var until = entry.Time + tier.Rule().Lock;
        if (apply) await store.MarkAsync(due, tier, until, ct);
        return $"; {(apply ? "marked" : "would mark")} {tier.Name()}, retained until at least {until.UtcDateTime:yyyy-MM-dd HH:mm} where the store locks";
    }

    /// <summary>
    /// Deletes a backup's objects unless Object Lock still retains one of <paramref name="locked"/>
    /// (the objects written last, whose retention ends last).
    /// </summary>
    async Task<PruneOutcome> RemoveAsync(string name, DateTimeOffset time, IReadOnlyList<string> keys, IReadOnlyList<string> locked, string reason, bool apply, DateTimeOffset now, CancellationToken ct)
    {
        DateTimeOffset? until = null;
        foreach (var key in locked)
            if ((await store.HoldAsync(key, ct)).LockedUntil is { } date && date > now && (until is null || date > until))
                until = date;
        if (until is { } lockedUntil)
            return new PruneOutcome(name, time, PruneAction.Locked, $"{reason}; kept by Object Lock until {lockedUntil.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z");
        if (apply) await DeleteKeysAsync(name, keys, ct);
        return new PruneOutcome(name, time, PruneAction.Delete, reason);
    }

    /// <summary>The object of a complete backup written last: the verification record when there is one, else the manifest.</summary>
    static string LastWritten(string name, IReadOnlyList<string> keys) =>
        keys.Contains($"{name}/{VerificationFile}") ? $"{name}/{VerificationFile}" : $"{name}/{BackupManifest.FileName}";

    async Task<IReadOnlyList<(string Name, IReadOnlyList<StoredObject> Objects)>> FoldersAsync(CancellationToken ct) =>
        (await store.ListAsync(BackupName.Prefix, ct))
            .Where(o => o.Key.Contains('/'))
            .GroupBy(o => o.Key[..o.Key.IndexOf('/')])
            .Where(g => BackupName.LooksLike(g.Key))
            .Select(g => (g.Key, (IReadOnlyList<StoredObject>)g.ToList()))
            .ToList();
}

/// <summary>What prune does with a backup.</summary>
public enum PruneAction
{
    Keep,
    Delete,
    /// <summary>No tier keeps it, but Object Lock still retains it.</summary>
    Locked,
    /// <summary>Manifest unreadable or verification failed: never a tier's pick, left for inspection.</summary>
    Damaged,
    /// <summary>Named like a backup, but the name is not a real time.</summary>
    Malformed,
}

public sealed record PruneOutcome(string Name, DateTimeOffset? Time, PruneAction Action, string Reason);
