using System.Text.Json;
using System.Text.Json.Serialization;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// How far <c>local up</c> got with one server. Recorded before each step, so an up killed at any
/// point leaves a state that says what may exist and run: <c>local status</c> shows it, <c>local down</c>
/// stops and removes it, and the next <c>local up</c> keeps what is ready and rebuilds the rest.
/// </summary>
public enum ServerSetup
{
    /// <summary>Nothing of it exists yet: its port and directory are reserved.</summary>
    Planned,
    /// <summary>Its files are being written and it may run, but it was not yet seen working.</summary>
    Created,
    /// <summary>Created, started and checked (streaming, in sync).</summary>
    Ready,
}

/// <summary>One node of the local environment as recorded on disk.</summary>
public sealed record LocalNodeState(string Name, int Port, string DataDirectory, string LogFile, NodeRole Role, ServerSetup Setup = ServerSetup.Ready);

/// <summary>
/// One Redis node of the local environment: primary or replica (<see cref="NodeRole.Standby"/>), or fenced.
/// <paramref name="RestoredFrom"/> names the backup last restored into it, and when (what a resumed runbook asks).
/// </summary>
public sealed record LocalCacheNodeState(string Name, int Port, string Directory, string LogFile, NodeRole Role, ServerSetup Setup = ServerSetup.Ready,
    string? RestoredFrom = null, DateTimeOffset? RestoredAt = null);

/// <summary>The <c>local up</c> creating or starting the environment now (or killed while it did): removed from the state when it ends.</summary>
public sealed record LocalUp(int Pid, DateTimeOffset StartedAt)
{
    public static LocalUp Mine() => new(Environment.ProcessId, DateTimeOffset.UtcNow);

    /// <summary>Whether that command still runs: its pid is alive and is an autovideo-dr (a pid is reused once it exits).</summary>
    [JsonIgnore]
    public bool Running
    {
        get
        {
            if (Pid == Environment.ProcessId) return true;
            if (!Postgres.ProcessTable.IsAlive(Pid)) return false;
            try { return File.ReadAllText($"/proc/{Pid}/cmdline").Contains("autovideo-dr", StringComparison.Ordinal); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        }
    }

    public string Describe() => $"the 'local up' started {StartedAt:yyyy-MM-dd HH:mm:ss}Z (pid {Pid})";
}

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
    MediaStore? Media = null,
    LocalUp? Up = null)
{
    /// <summary>Every server was created and seen working; false while (or after) an up was cut short.</summary>
    [JsonIgnore] public bool Complete => Nodes.All(n => n.Setup == ServerSetup.Ready) && (Caches ?? []).All(c => c.Setup == ServerSetup.Ready);

    /// <summary>What an unfinished <c>local up</c> left, and what to do, as one sentence; null when no up is unfinished.</summary>
    [JsonIgnore]
    public string? Unfinished
    {
        get
        {
            if (Up is null && Complete) return null;
            var notReady = Nodes.Where(n => n.Setup != ServerSetup.Ready).Select(n => $"{n.Name} {Words(n.Setup)}")
                .Concat((Caches ?? []).Where(c => c.Setup != ServerSetup.Ready).Select(c => $"{c.Name} {Words(c.Setup)}")).ToList();
            var what = notReady.Count > 0 ? $"not ready: {string.Join(", ", notReady)}" : "every server was ready; the rest was being started";
            var who = Up?.Describe() ?? "the 'local up' that created it";
            return Up?.Running == true
                ? $"{who} is still setting it up ({what}); wait for it to finish"
                : $"{who} did not finish ({what}); run 'autovideo-dr local up --workdir {WorkDirectory}' to finish it, or 'autovideo-dr local down --workdir {WorkDirectory}' to remove it";
        }
    }

    static string Words(ServerSetup setup) => setup == ServerSetup.Planned ? "not created yet" : "created, not yet ready";

    /// <summary>This state with one server's (database or cache) setup changed.</summary>
    public LocalEnvironmentState WithPort(string name, int port) => this with
    {
        Nodes = Nodes.Select(n => n.Name == name ? n with { Port = port } : n).ToList(),
        Caches = Caches?.Select(c => c.Name == name ? c with { Port = port } : c).ToList(),
    };

    public LocalEnvironmentState WithSetup(string name, ServerSetup setup) => this with
    {
        Nodes = Nodes.Select(n => n.Name == name ? n with { Setup = setup } : n).ToList(),
        Caches = Caches?.Select(c => c.Name == name ? c with { Setup = setup } : c).ToList(),
    };

    /// <summary>The node that is primary in normal operation (the first primary); a failback returns the role to it.</summary>
    [JsonIgnore] public string Home => HomePrimary ?? Nodes[0].Name;

    public const string FileName = "environment.json";

    /// <summary>The folder of the pgBackRest setup (configuration, spool, logs) through which WAL is archived.</summary>
    public const string ArchiveFolder = "pgbackrest";

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
        TypeInfoResolver = RecoveryJson.Resolver,
    };

    public static string PathIn(string workDirectory) => Path.Combine(workDirectory, FileName);

    public LocalNodeState NodeWithRole(NodeRole role) =>
        Nodes.FirstOrDefault(n => n.Role == role)
        ?? throw new RecoveryException($"the local environment in {WorkDirectory} has no {role.Name()} node (nodes: {string.Join(", ", Nodes.Select(n => $"{n.Name}={n.Role.Name()}"))})");

    public LocalEnvironmentState WithRoles(IReadOnlyDictionary<string, NodeRole> roles) =>
        this with { Nodes = Nodes.Select(n => roles.TryGetValue(n.Name, out var r) ? n with { Role = r } : n).ToList() };

    public static LocalEnvironmentState? TryLoad(string workDirectory)
    {
        CheckWorkDirectory(workDirectory);
        var path = PathIn(workDirectory);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<LocalEnvironmentState>(File.ReadAllText(path), Json)
                ?? throw new RecoveryException($"{path} is empty; remove the directory or run 'autovideo-dr local down --workdir {workDirectory}'");
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"{path} is not a valid environment state ({e.Message}); 'autovideo-dr local down --workdir {workDirectory}' stops what runs there and removes it", e);
        }
        catch (Exception e) when (FileFault.Explain(e, $"cannot read the local environment's state {path}", "run as the user who created it (or as root)") is { } fault)
        {
            throw fault;
        }
    }

    /// <summary>A working directory that is a file is named as such, not taken for "no environment here".</summary>
    public static void CheckWorkDirectory(string workDirectory)
    {
        if (File.Exists(workDirectory))
            throw new RecoveryException($"--workdir {Path.GetFullPath(workDirectory)} is a file, not a directory; --workdir takes the local environment's directory (an existing one, or a new one 'autovideo-dr local up' creates)");
    }

    /// <summary>The environment, complete: one a <c>local up</c> left unfinished is refused with what to do (only up, status and down take it as it is).</summary>
    public static LocalEnvironmentState Load(string workDirectory)
    {
        var state = TryLoad(workDirectory)
            ?? throw new RecoveryException($"no local environment in {Path.GetFullPath(workDirectory)}; create one with 'autovideo-dr local up'");
        if (!state.Complete)
            throw new RecoveryException($"the local environment in {state.WorkDirectory} is incomplete: {state.Unfinished}");
        return state;
    }

    /// <summary>Replaces the state file atomically (temporary file, fsync, rename): a crash leaves the old state or the new, never half of one.</summary>
    public void Save()
    {
        var path = PathIn(WorkDirectory);
        var temporary = path + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this, Json)));
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (FileFault.Explain(e, $"cannot write the local environment's state {path}",
            FileFault.IsFull(e) ? "free space there and run the command again" : "run as the user who created it (or as root)") is { } fault)
        {
            throw fault;
        }
    }

    public EnvironmentDescription Describe() => new(
        Name: $"local:{WorkDirectory}",
        Databases: Nodes.Select(n => new DatabaseNode(n.Name, n.Role, Postgres.PostgresServer.ConnectionString(n.Port, Database))).ToList(),
        BackupStore: BackupDirectory,
        CacheEndpoint: Caches?.FirstOrDefault(c => c.Role == NodeRole.Primary) is { } cache ? $"{Cache.RedisServer.Host}:{cache.Port}" : null,
        CacheNodes: Caches?.Select(c => new CacheNode(c.Name, c.Role, new CacheEndpoint(Cache.RedisServer.Host, c.Port))).ToList(),
        Media: Media);
}
