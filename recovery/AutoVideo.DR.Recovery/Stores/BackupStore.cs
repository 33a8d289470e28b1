namespace AutoVideo.DR.Recovery.Stores;

/// <summary>Options for the remote stores, taken from the command line.</summary>
public sealed record StoreOptions(S3StoreOptions? S3 = null, GcsStoreOptions? Gcs = null);

/// <summary>Opens the store a location string names: a directory path, <c>s3://bucket/prefix</c> or <c>gs://bucket/prefix</c>.</summary>
public static class BackupStore
{
    /// <summary>
    /// How long a network store may take to connect, and to answer one request, before the call fails
    /// naming the endpoint. Seconds, not minutes: a hung endpoint must fail a cron job while the next
    /// run is still far off. An upload part (16 MiB) must fit in it too: 30 s is 0.6 MB/s.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static IBackupStore Open(string location, StoreOptions? options = null)
    {
        options ??= new StoreOptions();
        if (string.IsNullOrWhiteSpace(location))
            throw new RecoveryException("the store location is empty; accepted: a directory, s3://bucket/prefix or gs://bucket/prefix");
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var (bucket, prefix) = Split(location, "s3://");
            return new S3Store(bucket, prefix, options.S3 ?? new S3StoreOptions());
        }
        if (location.StartsWith("gs://", StringComparison.OrdinalIgnoreCase))
        {
            var (bucket, prefix) = Split(location, "gs://");
            return new GcsStore(bucket, prefix, options.Gcs ?? new GcsStoreOptions());
        }
        if (location.Contains("://"))
            throw new RecoveryException($"unknown store '{location}'; accepted: a directory, s3://bucket/prefix or gs://bucket/prefix");
        return new DirectoryStore(location);
    }

    internal static (string Bucket, string Prefix) Split(string location, string scheme)
    {
        var rest = location[scheme.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0)
            throw new RecoveryException($"store '{location}' names no bucket; accepted: {scheme}bucket/prefix");
        return (bucket, slash < 0 ? "" : rest[(slash + 1)..]);
    }
}
