using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using Npgsql;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// A stack's outputs (<c>pulumi stack output --json --show-secrets</c>) and the environment
/// description made of them. The names are the Pulumi program's (docs/architecture.md, "Stack
/// outputs"): role, databaseEndpoint (host:port), databaseArn, databaseReplicaSource ("" on a
/// primary), backupsBucket, cacheEndpoint, healthCheckUrl (the shared failover name) and
/// regionalHealthCheckUrl (this region only). The database password is never an output: RDS keeps
/// it in Secrets Manager (databaseMasterSecretArn), and the probes take it from PGPASSWORD.
/// </summary>
public sealed record StackOutputs(string Stack, IReadOnlyDictionary<string, JsonElement> Values)
{
    public const string Role = "role";
    public const string DatabaseEndpoint = "databaseEndpoint";
    public const string DatabaseArn = "databaseArn";
    public const string ReplicaSourceArn = "databaseReplicaSource";
    public const string BackupBucket = "backupsBucket";
    public const string CacheEndpoint = "cacheEndpoint";
    public const string HealthCheckUrl = "healthCheckUrl";
    public const string RegionalHealthCheckUrl = "regionalHealthCheckUrl";
    public const string GlobalStack = "globalStack";
    public const string CacheRole = "cacheRole";
    public const string DatabaseGeneration = "databaseGeneration";
    /// <summary>The global stack's outputs: where the PRIMARY record sends clients, and who is fenced out of DNS.</summary>
    public const string PrimaryStack = "primaryStack";
    public const string FencedStacks = "fencedStacks";

    /// <summary>The database and user the Pulumi program creates (infra/database.ts).</summary>
    public const string DatabaseName = "autovideo";
    public const string DatabaseUser = "autovideo";

    public static StackOutputs Parse(string stack, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new RecoveryException($"pulumi stack output --json for '{stack}' is not a JSON object");
            return new StackOutputs(stack, document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()));
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"pulumi stack output --json for '{stack}' is not JSON: {e.Message}");
        }
    }

    public string? Text(string name) =>
        Values.TryGetValue(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => v.GetRawText(),
        } : null;

    string Required(string name) =>
        Text(name) is { Length: > 0 } value
            ? value
            : throw new RecoveryException($"stack '{Stack}' has no '{name}' output; the recovery side reads {Role}, {DatabaseEndpoint}, {DatabaseArn}, {ReplicaSourceArn}, {BackupBucket}, {CacheEndpoint}, {RegionalHealthCheckUrl} (see docs/architecture.md)");

    public NodeRole NodeRole => NodeRoles.TryParse(Required(Role)) is { } role and not NodeRole.Fenced
        ? role
        : throw new RecoveryException($"stack '{Stack}' has role output '{Text(Role)}'; accepted: primary, standby");

    /// <summary>Whether the stack's role output is <paramref name="role"/>; false when it has none.</summary>
    public bool Is(NodeRole role) => NodeRoles.TryParse(Text(Role)) == role;

    public DatabaseNode Database()
    {
        var endpoint = Required(DatabaseEndpoint);
        var colon = endpoint.LastIndexOf(':');
        var (host, port) = colon > 0 && int.TryParse(endpoint[(colon + 1)..], out var p) ? (endpoint[..colon], p) : (endpoint, 5432);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host, Port = port, Database = DatabaseName, Username = DatabaseUser,
            // The stacks' parameter group forces TLS (rds.force_ssl).
            SslMode = SslMode.Require, Timeout = 5, Pooling = false,
        };
        return new DatabaseNode(Stack, NodeRole, builder.ConnectionString);
    }

    /// <summary>This region's own health URL: the shared name answers from whichever region DNS points at.</summary>
    public IReadOnlyDictionary<string, string> HealthUrls() =>
        Text(RegionalHealthCheckUrl) is { Length: > 0 } url
            ? new Dictionary<string, string> { [$"{Stack}/service"] = url }
            : new Dictionary<string, string>();

    /// <summary>This stack alone as an environment.</summary>
    public EnvironmentDescription Describe() => Describe([this]);

    /// <summary>Several stacks (prod and dr) as one environment: their databases side by side, the primary's stores.</summary>
    public static EnvironmentDescription Describe(IReadOnlyList<StackOutputs> stacks)
    {
        var primary = stacks.FirstOrDefault(s => s.Is(NodeRole.Primary)) ?? stacks[0];
        return new EnvironmentDescription(
            Name: "stacks:" + string.Join("+", stacks.Select(s => s.Stack)),
            Databases: stacks.Select(s => s.Database()).ToList(),
            BackupStore: primary.Text(BackupBucket) is { } bucket ? $"s3://{bucket}" : null,
            // The stacks' caches encrypt in transit (infra/cache.ts): they only accept TLS.
            CacheEndpoint: primary.Text(CacheEndpoint) is { Length: > 0 } cache ? Health.ServiceProbe.TlsScheme + cache : null,
            HealthUrls: stacks.SelectMany(s => s.HealthUrls()).ToDictionary(p => p.Key, p => p.Value));
    }
}
