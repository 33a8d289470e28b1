using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// Cuts the standby off from the primary (no streaming, no archive replay) while both keep running:
/// the replication break behind an RPO greater than zero. Drills and tests use it to induce lag.
/// </summary>
public static class ReplicationLink
{
    public static async Task DetachAsync(PostgresServer standby, CancellationToken ct)
    {
        await using var connection = await DatabaseConnection.OpenAsync(standby.ConnectionString("postgres"), "standby", ct);
        foreach (var sql in new[] { "ALTER SYSTEM SET primary_conninfo = ''", "ALTER SYSTEM SET restore_command = ''", "SELECT pg_reload_conf()" })
            await DatabaseConnection.ExecuteAsync(connection, sql, ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await DatabaseConnection.ScalarAsync<long>(connection, "SELECT count(*) FROM pg_stat_wal_receiver", ct) == 0) return;
            if (DateTime.UtcNow > deadline) throw new RecoveryException($"the standby on port {standby.Port} kept streaming 30 s after being detached");
            await Task.Delay(50, ct);
        }
    }
}
