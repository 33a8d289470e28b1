namespace AutoVideo.DR.Recovery.Environments;

/// <summary>What a media bucket holds, as the plan lists it (檔案系統: 用戶上傳檔案、AI 模型、生成內容).</summary>
public enum MediaPurpose
{
    Uploads,
    Models,
    Generated,
}

public static class MediaPurposes
{
    public static string Name(this MediaPurpose purpose) => purpose.ToString().ToLowerInvariant();

    public static MediaPurpose? TryParse(string? text) =>
        Enum.GetValues<MediaPurpose>().Cast<MediaPurpose?>().FirstOrDefault(p => p!.Value.Name() == text?.Trim().ToLowerInvariant());
}

/// <summary>
/// One versioned media bucket and, where the stacks replicate it, its copy in the peer region
/// (S3 replication keeps version ids, so the replica can stand in for a lost primary).
/// </summary>
public sealed record MediaBucket(MediaPurpose Purpose, string Name, string? Replica = null, string? ReplicaRegion = null);

/// <summary>
/// Where an environment's media objects live: an S3 endpoint (null: AWS itself), its region and
/// addressing, and the buckets. Credentials come from the standard AWS variables, as for the backup store.
/// </summary>
public sealed record MediaStore(string? Endpoint, string? Region, bool PathStyle, IReadOnlyList<MediaBucket> Buckets)
{
    public MediaBucket? Bucket(string name) => Buckets.FirstOrDefault(b => b.Name == name || b.Replica == name);
}
