using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>What the workload's tables hold on a server after recovery: per table, id to content text.</summary>
public sealed class RecoveredContent(IReadOnlyDictionary<string, IReadOnlyDictionary<long, string>> tables)
{
    public IReadOnlyDictionary<long, string> Table(string name) => tables[name];

    public bool Contains(WrittenRow row) => tables[row.Table].ContainsKey(row.Id);

    public static async Task<RecoveredContent> LoadAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = await DatabaseConnection.OpenAsync(connectionString, "recovered", ct);
        // Content is compared as text; timestamps must print the way the workload wrote them.
        await DatabaseConnection.ExecuteAsync(connection, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'", ct);
        var tables = new Dictionary<string, IReadOnlyDictionary<long, string>>();
        foreach (var table in WorkloadSchema.Tables)
        {
            var rows = new Dictionary<long, string>();
            await using var select = new NpgsqlCommand(WorkloadSchema.SelectContent(table), connection);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows[reader.GetInt64(0)] = reader.GetString(1);
            tables[table] = rows;
        }
        return new RecoveredContent(tables);
    }
}
