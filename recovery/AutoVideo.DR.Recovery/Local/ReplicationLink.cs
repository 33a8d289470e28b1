using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// Cuts the standby off from the primary (no streaming, no archive replay) while both keep running:
/// the replication break behind an RPO greater than zero. Drills and tests use it to induce lag.
/// </summary>
public static class ReplicationLink
{
    public static async Task DetachAsync(PostgresServer standby, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(standby.ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        foreach (var sql in new[] { "ALTER SYSTEM SET primary_conninfo = ''", "ALTER SYSTEM SET restore_command = ''", "SELECT pg_reload_conf()" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var receiving = new NpgsqlCommand("SELECT count(*) FROM pg_stat_wal_receiver", connection);
            if ((long)(await receiving.ExecuteScalarAsync(ct))! == 0) return;
            if (DateTime.UtcNow > deadline) throw new RecoveryException($"the standby on port {standby.Port} kept streaming 30 s after being detached");
            await Task.Delay(50, ct);
        }
    }
}
