using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>What the workload's tables hold on a server after recovery (or the cache workload's keys in a cache): per table, id to content text.</summary>
public sealed class RecoveredContent(IReadOnlyDictionary<string, IReadOnlyDictionary<long, string>> tables)
{
    public IReadOnlyDictionary<long, string> Table(string name) => tables[name];

    public bool Contains(WrittenRow row) => tables[row.Table].ContainsKey(row.Id);

    /// <summary>What the cache at <paramref name="cache"/> holds of every write in <paramref name="ledger"/> (acknowledged or in doubt), as table <see cref="CacheWorkload.Table"/>.</summary>
    public static async Task<RecoveredContent> LoadCacheAsync(CacheEndpoint cache, CommitLedger ledger, CancellationToken ct)
    {
        var ids = ledger.Acknowledged.SelectMany(c => c.Rows).Concat(ledger.InDoubtCommits.SelectMany(r => r)).Select(r => r.Id).Distinct().ToList();
        var rows = new Dictionary<long, string>();
        await using var connection = await RespConnection.OpenAsync(cache, ct);
        foreach (var batch in ids.Chunk(500))
        {
            var values = await connection.PipelineAsync(batch.Select(id => new object[] { "GET", CacheWorkload.Key(id) }).ToList(), ct);
            for (var i = 0; i < batch.Length; i++)
                if (RespConnection.AsText(values[i]) is { } value) rows[batch[i]] = value;
        }
        return new RecoveredContent(new Dictionary<string, IReadOnlyDictionary<long, string>> { [CacheWorkload.Table] = rows });
    }

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
