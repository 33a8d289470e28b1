using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The parts of a system recovery point: the data (the database, Redis, the media buckets' object
/// versions), and what runs it: the Pulumi stacks' state and config, and the monitoring's data (a
/// Prometheus TSDB snapshot). A restore brings the data back by default; the others only when named.
/// </summary>
public enum SystemPart
{
    Database,
    Cache,
    Media,
    Stacks,
    Monitoring,
}

public static class SystemParts
{
    public static string Name(this SystemPart part) => part.ToString().ToLowerInvariant();

    /// <summary>
    /// Whether a restore of "all" brings the part back: the data does; the stacks' state and the monitoring
    /// data replace what runs the system, so they are restored only when named (--parts stacks, monitoring).
    /// </summary>
    public static bool RestoredByDefault(this SystemPart part) => part is SystemPart.Database or SystemPart.Cache or SystemPart.Media;

    /// <summary>"all" or a comma-separated list of database, cache, media, stacks, monitoring; anything else is a one-line usage error.</summary>
    public static IReadOnlyList<SystemPart>? Parse(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "all") return null;
        var parts = new List<SystemPart>();
        foreach (var word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            parts.Add(Enum.GetValues<SystemPart>().Cast<SystemPart?>().FirstOrDefault(p => p!.Value.Name() == word.ToLowerInvariant())
                ?? throw new RecoveryException($"{option} '{text}' is not understood; accepted: all, or a comma-separated list of database, cache, media, stacks, monitoring"));
        return parts.Distinct().Order().ToList();
    }
}

/// <summary>
/// The Redis part of a backup: an RDB taken from <see cref="Source"/> at <see cref="Time"/>, and
/// what it holds (<see cref="Cache.CacheContent"/>: key counts and digests, read back from the RDB
/// itself on a scratch server, so the numbers describe exactly the stored file).
/// </summary>
public sealed record CacheEntry(string Part, string Source, NodeRole Role, string RedisVersion, DateTimeOffset Time,
    long Keys, string Digest, long VolatileKeys, string VolatileDigest)
{
    public Cache.CacheContent Content => new(Keys, Digest, VolatileKeys, VolatileDigest);
}

/// <summary>One media bucket's inventory in a backup: which part holds it, as of when, how many objects and bytes.</summary>
public sealed record MediaEntry(string Bucket, MediaPurpose? Purpose, string Part, DateTimeOffset At, long Objects, long Bytes);

/// <summary>What one part other than the database added to a backup: its stored parts and its manifest section.</summary>
public sealed record SystemPartCapture(IReadOnlyList<BackupPart> Parts, CacheEntry? Cache = null, MediaEntry? Media = null);

/// <summary>
/// A part of the system taken beside the database, in the same backup: the writer calls it once the
/// database snapshot is fixed (its name and time known), runs it concurrently with the table
/// copies, and merges what it returns into the manifest, which is still written last.
/// </summary>
public interface ISystemPartCapture
{
    SystemPart Part { get; }

    Task<SystemPartCapture> CaptureAsync(string backupName, DateTimeOffset snapshotTime, IBackupStore store, CancellationToken ct);
}
