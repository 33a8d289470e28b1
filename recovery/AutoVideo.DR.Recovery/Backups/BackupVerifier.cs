using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>One part as verify found it.</summary>
public sealed record PartCheck(string Path, long ExpectedSize, long ActualSize, bool Passed, string? Problem);

/// <summary>The result of verifying one backup: every part, and the first problem (naming its part) when one failed.</summary>
public sealed record VerificationReport(string Name, IReadOnlyList<PartCheck> Parts, TimeSpan Duration)
{
    public bool Passed => Parts.All(p => p.Passed);
    public string? Problem => Parts.FirstOrDefault(p => !p.Passed) is { } failed ? $"backup {Name}: part {failed.Path} {failed.Problem}" : null;
}

/// <summary>
/// Re-reads every part of a backup from its store and checks its size and SHA-256 against the
/// (self-checked) manifest. Nothing is trusted that was not read back.
/// </summary>
public static class BackupVerifier
{
    public static Task<VerificationReport> VerifyAsync(IBackupStore store, BackupManifest manifest, IProgress<TransferProgress>? progress, CancellationToken ct) =>
        CheckPartsAsync(store, manifest, new ProgressTracker("verify", progress, (TransferPhase.Check, ProgressUnit.Bytes, manifest.TotalSize)), ct);

    /// <summary>The check as one phase of a larger operation (a restore's first).</summary>
    internal static async Task<VerificationReport> CheckPartsAsync(IBackupStore store, BackupManifest manifest, ProgressTracker tracker, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        tracker.Start(TransferPhase.Check);
        var checks = new PartCheck[manifest.Parts.Count];
        // One listing for every part's presence (on S3 a LIST per part would cost more than reading a small part).
        var stored = (await store.ListAsync($"{manifest.Name}/{BackupPart.Folder}", ct)).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        await Parallel.ForEachAsync(Enumerable.Range(0, manifest.Parts.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
            checks[i] = await CheckAsync(store, manifest, manifest.Parts[i], stored, tracker, token));
        tracker.Finish(TransferPhase.Check);
        return new VerificationReport(manifest.Name, checks, DateTimeOffset.UtcNow - started);
    }

    static async Task<PartCheck> CheckAsync(IBackupStore store, BackupManifest manifest, BackupPart part, IReadOnlySet<string> stored, ProgressTracker tracker, CancellationToken ct)
    {
        BackupManifestFile.CheckPartPath(manifest.Name, part.Path);
        if (!stored.Contains($"{manifest.Name}/{part.Path}")) return new PartCheck(part.Path, part.Size, 0, false, "is missing");
        await using var digest = new DigestStream(await store.OpenReadAsync($"{manifest.Name}/{part.Path}", ct), onBytes: n => tracker.Add(TransferPhase.Check, n));
        try
        {
            await digest.CopyToAsync(Stream.Null, ct);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return new PartCheck(part.Path, part.Size, digest.Count, false, $"could not be read to the end: {e.Message.Split('\n')[0]}");
        }
        var sha = digest.Sha256();
        if (digest.Count != part.Size)
            return new PartCheck(part.Path, part.Size, digest.Count, false, digest.Count < part.Size
                ? $"is truncated: {digest.Count} of {part.Size} bytes"
                : $"has the wrong size: {digest.Count} bytes, the manifest says {part.Size}");
        return sha == part.Sha256
            ? new PartCheck(part.Path, part.Size, digest.Count, true, null)
            : new PartCheck(part.Path, part.Size, digest.Count, false, $"is damaged: SHA-256 {sha[..12]}… does not match the manifest's {part.Sha256[..12]}…");
    }
}
