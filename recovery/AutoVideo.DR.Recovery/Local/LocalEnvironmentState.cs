using System.Text.Json;
using System.Text.Json.Serialization;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>One node of the local environment as recorded on disk.</summary>
public sealed record LocalNodeState(string Name, int Port, string DataDirectory, string LogFile, NodeRole Role);

/// <summary>
/// One Redis node of the local environment: primary or replica (<see cref="NodeRole.Standby"/>), or fenced.
/// <paramref name="RestoredFrom"/> names the backup last restored into it, and when (what a resumed runbook asks).
/// </summary>
public sealed record LocalCacheNodeState(string Name, int Port, string Directory, string LogFile, NodeRole Role,
    string? RestoredFrom = null, DateTimeOffset? RestoredAt = null);

/// <summary>
/// The local environment's state file (environment.json in the working directory): which node is
/// primary, which is standby or fenced, and where their data lives; with monitoring, its processes
/// and ports. Written atomically.
/// </summary>
public sealed record LocalEnvironmentState(
    string WorkDirectory,
    string Database,
    string ArchiveDirectory,
    string BackupDirectory,
    DateTimeOffset CreatedAt,
    IReadOnlyList<LocalNodeState> Nodes,
    string? HomePrimary = null,
    Monitoring.LocalMonitoringState? Monitoring = null,
    IReadOnlyList<LocalCacheNodeState>? Caches = null,
    MediaStore? Media = null)
{
    /// <summary>The node that is primary in normal operation (the first primary); a failback returns the role to it.</summary>
    [JsonIgnore] public string Home => HomePrimary ?? Nodes[0].Name;

    public const string FileName = "environment.json";

    /// <summary>
    /// What other commands keep in a working directory whether or not it holds an environment (the
    /// backup commands' metrics): they never stop an environment from being created there.
    /// </summary>
    public static readonly IReadOnlySet<string> SharedEntries = new HashSet<string> { "metrics" };

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string PathIn(string workDirectory) => Path.Combine(workDirectory, FileName);

    public LocalNodeState NodeWithRole(NodeRole role) =>
        Nodes.FirstOrDefault(n => n.Role == role)
        ?? throw new RecoveryException($"the local environment in {WorkDirectory} has no {role.Name()} node (nodes: {string.Join(", ", Nodes.Select(n => $"{n.Name}={n.Role.Name()}"))})");

    public LocalEnvironmentState WithRoles(IReadOnlyDictionary<string, NodeRole> roles) =>
        this with { Nodes = Nodes.Select(n => roles.TryGetValue(n.Name, out var r) ? n with { Role = r } : n).ToList() };

    public static LocalEnvironmentState? TryLoad(string workDirectory)
    {
        var path = PathIn(workDirectory);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<LocalEnvironmentState>(File.ReadAllText(path), Json)
                ?? throw new RecoveryException($"{path} is empty; remove the directory or run 'autovideo-dr local down --workdir {workDirectory}'");
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"{path} is not a valid environment state ({e.Message}); remove the directory to start again");
        }
    }

    public static LocalEnvironmentState Load(string workDirectory) =>
        TryLoad(workDirectory)
        ?? throw new RecoveryException($"no local environment in {Path.GetFullPath(workDirectory)}; create one with 'autovideo-dr local up'");

    public void Save()
    {
        var path = PathIn(WorkDirectory);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    public EnvironmentDescription Describe() => new(
        Name: $"local:{WorkDirectory}",
        Databases: Nodes.Select(n => new DatabaseNode(n.Name, n.Role, Postgres.PostgresServer.ConnectionString(n.Port, Database))).ToList(),
        BackupStore: BackupDirectory,
        CacheEndpoint: Caches?.FirstOrDefault(c => c.Role == NodeRole.Primary) is { } cache ? $"{Cache.RedisServer.Host}:{cache.Port}" : null,
        CacheNodes: Caches?.Select(c => new CacheNode(c.Name, c.Role, new CacheEndpoint(Cache.RedisServer.Host, c.Port))).ToList(),
        Media: Media);
}
