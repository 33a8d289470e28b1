using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using Npgsql;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// A stack's outputs (<c>pulumi stack output --json --show-secrets</c>) and the environment
/// description made of them. The names are the contract with the Pulumi program (docs/runbooks.md):
/// role, databaseEndpoint (host:port), databaseName, databaseUser, databasePassword (secret),
/// databaseArn, replicaSourceArn (empty on a primary), backupBucket, cacheEndpoint,
/// healthCheckUrls (name → URL), trafficRole (the Route 53 failover role of its record).
/// </summary>
public sealed record StackOutputs(string Stack, IReadOnlyDictionary<string, JsonElement> Values)
{
    public const string Role = "role";
    public const string DatabaseEndpoint = "databaseEndpoint";
    public const string DatabaseName = "databaseName";
    public const string DatabaseUser = "databaseUser";
    public const string DatabasePassword = "databasePassword";
    public const string DatabaseArn = "databaseArn";
    public const string ReplicaSourceArn = "replicaSourceArn";
    public const string BackupBucket = "backupBucket";
    public const string CacheEndpoint = "cacheEndpoint";
    public const string HealthCheckUrls = "healthCheckUrls";
    public const string TrafficRole = "trafficRole";

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
            : throw new RecoveryException($"stack '{Stack}' has no '{name}' output; the recovery side reads {Role}, {DatabaseEndpoint}, {DatabaseArn}, {ReplicaSourceArn}, {BackupBucket}, {CacheEndpoint}, {HealthCheckUrls} (see docs/runbooks.md)");

    public NodeRole NodeRole => Required(Role) switch
    {
        "primary" => NodeRole.Primary,
        "standby" => NodeRole.Standby,
        var other => throw new RecoveryException($"stack '{Stack}' has role output '{other}'; accepted: primary, standby"),
    };

    public DatabaseNode Database()
    {
        var endpoint = Required(DatabaseEndpoint);
        var colon = endpoint.LastIndexOf(':');
        var (host, port) = colon > 0 && int.TryParse(endpoint[(colon + 1)..], out var p) ? (endpoint[..colon], p) : (endpoint, 5432);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host, Port = port, Database = Text(DatabaseName) ?? "autovideo", Username = Text(DatabaseUser) ?? "postgres",
            // The stacks' parameter group forces TLS (rds.force_ssl).
            SslMode = SslMode.Require, Timeout = 5, Pooling = false,
        };
        if (Text(DatabasePassword) is { } password) builder.Password = password;
        return new DatabaseNode(Stack, NodeRole, builder.ConnectionString);
    }

    public IReadOnlyDictionary<string, string> HealthUrls() =>
        Values.TryGetValue(HealthCheckUrls, out var urls) && urls.ValueKind == JsonValueKind.Object
            ? urls.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => $"{Stack}/{p.Name}", p => p.Value.GetString()!)
            : new Dictionary<string, string>();

    /// <summary>This stack alone as an environment.</summary>
    public EnvironmentDescription Describe() => Describe([this]);

    /// <summary>Several stacks (prod and dr) as one environment: their databases side by side, the primary's stores.</summary>
    public static EnvironmentDescription Describe(IReadOnlyList<StackOutputs> stacks)
    {
        var primary = stacks.FirstOrDefault(s => s.Text(Role) == "primary") ?? stacks[0];
        return new EnvironmentDescription(
            Name: "stacks:" + string.Join("+", stacks.Select(s => s.Stack)),
            Databases: stacks.Select(s => s.Database()).ToList(),
            BackupStore: primary.Text(BackupBucket) is { } bucket ? $"s3://{bucket}" : null,
            CacheEndpoint: primary.Text(CacheEndpoint),
            HealthUrls: stacks.SelectMany(s => s.HealthUrls()).ToDictionary(p => p.Key, p => p.Value));
    }
}
