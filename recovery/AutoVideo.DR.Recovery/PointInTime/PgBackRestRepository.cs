namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>The storage types of a pgBackRest repository (its <c>repo-type</c>).</summary>
public enum RepositoryKind
{
    Posix,
    S3,
    Gcs,
}

/// <summary>
/// How to reach the object stores a repository lives in. pgBackRest speaks only HTTPS to S3 and
/// GCS, so an endpoint is https://host[:port]; <see cref="VerifyTls"/> off is for test endpoints
/// with a self-signed certificate.
/// </summary>
public sealed record RepositoryOptions(string? S3Endpoint = null, bool S3PathStyle = false, string? S3Region = null, string? GcsEndpoint = null, bool VerifyTls = true);

/// <summary>
/// One pgBackRest repository (repo1, repo2, ...) in a store the rest of the tool already names the
/// same way: a directory, <c>s3://bucket/prefix</c> or <c>gs://bucket/prefix</c>. The repository
/// sits under <c>pgbackrest/</c> in that store, beside the logical backups, which it never touches
/// (the backup catalog only reads folders named like <c>autovideo_backup_*</c>).
/// </summary>
public sealed record PgBackRestRepository(
    int Number,
    string Location,
    RepositoryKind Kind,
    string Path,
    string? Bucket = null,
    string? Endpoint = null,
    int? Port = null,
    string? Region = null,
    bool PathStyle = false,
    bool VerifyTls = true)
{
    /// <summary>The folder of a store that holds the repository.</summary>
    public const string Folder = "pgbackrest";

    public static PgBackRestRepository Parse(int number, string location, RepositoryOptions options)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new RecoveryException("the repository location is empty; accepted: a directory, s3://bucket/prefix or gs://bucket/prefix");
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var (bucket, prefix) = Stores.BackupStore.Split(location, "s3://");
            var region = options.S3Region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
            var (host, port) = options.S3Endpoint is { Length: > 0 } endpoint ? HttpsEndpoint(endpoint, "--s3-endpoint") : ($"s3.{region}.amazonaws.com", (int?)null);
            return new PgBackRestRepository(number, location, RepositoryKind.S3, RepositoryPath(prefix), bucket, host, port, region, options.S3PathStyle, options.VerifyTls);
        }
        if (location.StartsWith("gs://", StringComparison.OrdinalIgnoreCase))
        {
            var (bucket, prefix) = Stores.BackupStore.Split(location, "gs://");
            var (host, port) = options.GcsEndpoint is { Length: > 0 } endpoint ? HttpsEndpoint(endpoint, "--gcs-endpoint") : ("storage.googleapis.com", (int?)null);
            return new PgBackRestRepository(number, location, RepositoryKind.Gcs, RepositoryPath(prefix), bucket, host, port, VerifyTls: options.VerifyTls);
        }
        if (location.Contains("://"))
            throw new RecoveryException($"unknown store '{location}'; accepted: a directory, s3://bucket/prefix or gs://bucket/prefix");
        return new PgBackRestRepository(number, System.IO.Path.GetFullPath(location), RepositoryKind.Posix, System.IO.Path.Combine(System.IO.Path.GetFullPath(location), Folder));
    }

    /// <summary>Where the repository is, for messages: the store location and the folder in it.</summary>
    public string Describe() => Kind == RepositoryKind.Posix ? Path : $"{Location.TrimEnd('/')}/{Folder}";

    /// <summary>
    /// The repoN-* lines of pgbackrest.conf. Credentials are read from the environment here, once,
    /// and end up only in the configuration file (mode 0600): never on a command line.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Settings(IReadOnlyDictionary<string, string?> environment)
    {
        var p = $"repo{Number}-";
        yield return new($"{p}type", Kind.ToString().ToLowerInvariant());
        yield return new($"{p}path", Path);
        switch (Kind)
        {
            case RepositoryKind.S3:
                yield return new($"{p}s3-bucket", Bucket!);
                yield return new($"{p}s3-endpoint", Endpoint!);
                yield return new($"{p}s3-region", Region!);
                yield return new($"{p}s3-uri-style", PathStyle ? "path" : "host");
                if (environment.GetValueOrDefault("AWS_ACCESS_KEY_ID") is { Length: > 0 } key)
                {
                    yield return new($"{p}s3-key", key);
                    yield return new($"{p}s3-key-secret", environment.GetValueOrDefault("AWS_SECRET_ACCESS_KEY")
                        ?? throw new RecoveryException($"AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; pgBackRest needs both for {Location}"));
                    if (environment.GetValueOrDefault("AWS_SESSION_TOKEN") is { Length: > 0 } token) yield return new($"{p}s3-token", token);
                }
                else
                {
                    // No static key: the instance's (or pod's) role, as the SDK's default chain would use.
                    yield return new($"{p}s3-key-type", "auto");
                }
                break;
            case RepositoryKind.Gcs:
                yield return new($"{p}gcs-bucket", Bucket!);
                yield return new($"{p}gcs-endpoint", Endpoint!);
                if (environment.GetValueOrDefault("GOOGLE_APPLICATION_CREDENTIALS") is { Length: > 0 } keyFile)
                {
                    yield return new($"{p}gcs-key-type", "service");
                    yield return new($"{p}gcs-key", keyFile);
                }
                else if (Endpoint != "storage.googleapis.com")
                {
                    // An emulator takes any bearer token (pgBackRest's 'token' key type exists for that).
                    yield return new($"{p}gcs-key-type", "token");
                    yield return new($"{p}gcs-key", "emulator");
                }
                else
                {
                    yield return new($"{p}gcs-key-type", "auto");
                }
                break;
        }
        if (Port is { } port) yield return new($"{p}storage-port", port.ToString());
        if (!VerifyTls) yield return new($"{p}storage-verify-tls", "n");
    }

    static string RepositoryPath(string prefix)
    {
        var trimmed = prefix.Trim('/');
        return "/" + (trimmed.Length == 0 ? Folder : $"{trimmed}/{Folder}");
    }

    static (string Host, int? Port) HttpsEndpoint(string endpoint, string option)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new RecoveryException($"{option} '{endpoint}' cannot carry a pgBackRest repository; accepted: an https:// URL (pgBackRest reaches object stores over HTTPS only)");
        return (uri.Host, uri.IsDefaultPort ? null : uri.Port);
    }
}
