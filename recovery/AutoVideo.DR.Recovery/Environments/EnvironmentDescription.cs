using Npgsql;

namespace AutoVideo.DR.Recovery.Environments;

/// <summary>The replication role a database node holds, as the environment records it.</summary>
public enum NodeRole
{
    Primary,
    Standby,
    /// <summary>An old primary that was fenced after a promotion: it must never accept writes.</summary>
    Fenced,
}

/// <summary>The one spelling of a role in text, config and JSON: primary, standby, fenced.</summary>
public static class NodeRoles
{
    public static string Name(this NodeRole role) => role.ToString().ToLowerInvariant();

    public static NodeRole? TryParse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "primary" => NodeRole.Primary,
        "standby" => NodeRole.Standby,
        "fenced" => NodeRole.Fenced,
        _ => null,
    };
}

/// <summary>One database of an environment and how to reach it.</summary>
public sealed record DatabaseNode(string Name, NodeRole Role, string ConnectionString);

/// <summary>One Redis node of an environment: the primary, or a replica (<see cref="NodeRole.Standby"/>).</summary>
public sealed record CacheNode(string Name, NodeRole Role, CacheEndpoint Endpoint);

/// <summary>
/// What the recovery side knows of an environment: endpoints only. It comes from the local
/// environment's state file or from <c>pulumi stack output --json</c>; nothing else reads either source.
/// </summary>
public sealed record EnvironmentDescription(
    string Name,
    IReadOnlyList<DatabaseNode> Databases,
    string? BackupStore = null,
    string? CacheEndpoint = null,
    IReadOnlyDictionary<string, string>? HealthUrls = null,
    IReadOnlyList<CacheNode>? CacheNodes = null,
    MediaStore? Media = null)
{
    public DatabaseNode? Primary => Databases.FirstOrDefault(d => d.Role == NodeRole.Primary);
    public DatabaseNode? Standby => Databases.FirstOrDefault(d => d.Role == NodeRole.Standby);

    /// <summary>
    /// A multi-host connection string over every node that may serve writes, asking for the
    /// read-write one: clients that use it follow a promotion without being reconfigured.
    /// </summary>
    public string ClientConnectionString()
    {
        var nodes = Databases.Where(d => d.Role != NodeRole.Fenced).Select(d => new NpgsqlConnectionStringBuilder(d.ConnectionString)).ToList();
        if (nodes.Count == 0) throw new RecoveryException($"environment '{Name}' has no database that can serve clients");
        var builder = new NpgsqlConnectionStringBuilder(nodes[0].ConnectionString) { Pooling = true };
        if (nodes.Count == 1) return builder.ConnectionString;
        builder.Host = string.Join(",", nodes.Select(n => $"{n.Host}:{n.Port}"));
        builder.TargetSessionAttributes = "read-write";
        // Npgsql caches each host's state (10 s by default): a promoted standby would stay "standby"
        // to clients that long. Pooled connections are reused, so rechecking on each new one is cheap.
        builder.HostRecheckSeconds = 0;
        builder.Remove("Port");
        return builder.ConnectionString;
    }
}
